package importer

import (
	"context"
	"errors"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/coverage"
)

// TestLoadErrorsReachTheCaller checks what the importer relies on in the
// coverage loaders: an error that ends the rows, or a row the loader
// refuses, comes back as itself (COPY reports it to the server, which
// answers "COPY from stdin failed"), and nothing is loaded.
func TestLoadErrorsReachTheCaller(t *testing.T) {
	ctx := context.Background()
	_, pool := newImporter(t)
	s := coverage.NewStore(pool)
	n := 1
	good := coverage.CivicoRow{Line: 2, ISTATCode: "019035", Street: "VIA ROMA", Number: &n, Lon: 9.68, Lat: 45.36}
	errStop := errors.New("the file broke at line 3")
	_, err := s.LoadCivici(ctx, func(yield func(coverage.CivicoRow, error) bool) {
		if yield(good, nil) {
			yield(coverage.CivicoRow{}, errStop)
		}
	}, coverage.LoadOptions{Source: "test"})
	if !errors.Is(err, errStop) {
		t.Errorf("LoadCivici with a failing iterator: %v, want %v", err, errStop)
	}
	bad := good
	bad.Line, bad.Street = 3, "''"
	_, err = s.LoadCivici(ctx, func(yield func(coverage.CivicoRow, error) bool) {
		if yield(good, nil) {
			yield(bad, nil)
		}
	}, coverage.LoadOptions{Source: "test"})
	if apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("LoadCivici with a street without letters: %v (%v), want an invalid error", err, apperr.KindOf(err))
	}
	var civici int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM civici`).Scan(&civici); err != nil || civici != 0 {
		t.Errorf("%d civici stored (%v), want none", civici, err)
	}
}
