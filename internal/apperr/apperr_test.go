package apperr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

func TestKindOf(t *testing.T) {
	notFound := apperr.New("comuni.Find", apperr.NotFound, "comune %s not found", "019999")
	tests := []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"nil", nil, apperr.Internal},
		{"plain error", errors.New("boom"), apperr.Internal},
		{"an Error", notFound, apperr.NotFound},
		{"a zero Error", &apperr.Error{}, apperr.Internal},
		{"wrapped once", fmt.Errorf("layer comuni: %w", notFound), apperr.NotFound},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", notFound)), apperr.NotFound},
		{"joined", errors.Join(io.EOF, notFound), apperr.NotFound},
		{"the outer Error wins", apperr.Wrap("outer", apperr.Conflict, notFound, "state"), apperr.Conflict},
		{"an Error wrapping a cancellation keeps its kind", apperr.Wrap("x", apperr.Invalid, context.Canceled, "bad"), apperr.Invalid},
		{"cancelled", context.Canceled, apperr.Canceled},
		{"cancelled, wrapped", fmt.Errorf("query: %w", context.Canceled), apperr.Canceled},
		{"deadline", context.DeadlineExceeded, apperr.Unavailable},
		{"deadline, wrapped", fmt.Errorf("query: %w", context.DeadlineExceeded), apperr.Unavailable},
		{"cause of a cancelled context", context.Cause(cancelled()), apperr.Canceled},
		{"error of a timed-out context", timedOut().Err(), apperr.Unavailable},
		{"invalid field", apperr.Invalidf("features.ParseQuery", "limit", "%q is not an integer", "x"), apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apperr.KindOf(tt.err); got != tt.want {
				t.Fatalf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func timedOut() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	return ctx
}

func TestMessageAndFields(t *testing.T) {
	field := apperr.Invalidf("features.ParseQuery", "limit", "%q is not an integer in 1..%d", "ten", 10000)
	secret := errors.New("password authentication failed for user atlante")
	tests := []struct {
		name       string
		err        error
		wantMsg    string
		wantFields []apperr.FieldError
	}{
		{"nil", nil, "", nil},
		{"plain error", secret, "", nil},
		{"context error", context.Canceled, "", nil},
		{"New", apperr.New("op", apperr.NotFound, "layer %s not found", "nowhere"), "layer nowhere not found", nil},
		{"Wrap keeps the cause out of the message", apperr.Wrap("op", apperr.Unavailable, secret, "the database is not available"),
			"the database is not available", nil},
		{"Invalidf", field, `limit: "ten" is not an integer in 1..10000`,
			[]apperr.FieldError{{Field: "limit", Reason: `"ten" is not an integer in 1..10000`}}},
		{"wrapped Invalidf", fmt.Errorf("items: %w", field), `limit: "ten" is not an integer in 1..10000`,
			[]apperr.FieldError{{Field: "limit", Reason: `"ten" is not an integer in 1..10000`}}},
		{"several fields", &apperr.Error{Kind: apperr.Invalid, Msg: "2 problems", Fields: []apperr.FieldError{{"a", "x"}, {"b", "y"}}},
			"2 problems", []apperr.FieldError{{"a", "x"}, {"b", "y"}}},
		{"the first Error's, not the cause's", apperr.Wrap("op", apperr.Conflict, field, "outer"), "outer", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apperr.Message(tt.err); got != tt.wantMsg {
				t.Errorf("Message(%v) = %q, want %q", tt.err, got, tt.wantMsg)
			}
			if got := apperr.Fields(tt.err); !slices.Equal(got, tt.wantFields) {
				t.Errorf("Fields(%v) = %v, want %v", tt.err, got, tt.wantFields)
			}
		})
	}
}

func TestError(t *testing.T) {
	cause := errors.New("connection refused")
	tests := []struct {
		name string
		err  *apperr.Error
		want string
	}{
		{"op, message and cause", apperr.Wrap("store.Open", apperr.Unavailable, cause, "the database is not available"),
			"store.Open: the database is not available: connection refused"},
		{"no cause", apperr.New("tiles.CheckZoom", apperr.NotFound, "no tiles at zoom %d", 20), "tiles.CheckZoom: no tiles at zoom 20"},
		{"no message: the kind", &apperr.Error{Op: "x", Kind: apperr.Forbidden}, "x: forbidden"},
		{"no op", &apperr.Error{Kind: apperr.Invalid, Msg: "bad"}, "bad"},
		{"nothing", &apperr.Error{}, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	e := apperr.Wrap("op", apperr.Internal, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "cannot read")
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = false, want true through Unwrap", e)
	}
	if apperr.New("op", apperr.Invalid, "100%% sure").Msg != "100% sure" {
		t.Errorf("New formats its message")
	}
}

func TestKindString(t *testing.T) {
	seen := map[string]apperr.Kind{}
	for k := apperr.Internal; k <= apperr.Canceled; k++ {
		s := k.String()
		if s == "" || strings.HasPrefix(s, "kind(") {
			t.Errorf("Kind(%d).String() = %q, want a name", int(k), s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("Kind(%d) and Kind(%d) are both %q", int(k), int(other), s)
		}
		seen[s] = k
	}
	if got := apperr.Kind(99).String(); got != "kind(99)" {
		t.Errorf("Kind(99).String() = %q, want kind(99)", got)
	}
	if got := apperr.Kind(-1).String(); got != "kind(-1)" {
		t.Errorf("Kind(-1).String() = %q, want kind(-1)", got)
	}
}
