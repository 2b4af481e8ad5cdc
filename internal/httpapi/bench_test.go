package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/cremasco/atlante/internal/testserver"
)

// BenchmarkItemsPage measures an items page end to end over a real server
// and database: B/op and allocs/op include the handler, pgx and the client
// (which discards the body), so a handler that collected the page before
// writing it would show B/op growing with the page; a streaming one stays
// well below the body size. Run with
//
//	go test ./internal/httpapi/ -run '^$' -bench ItemsPage
func BenchmarkItemsPage(b *testing.B) {
	s := testserver.Start(b, testserver.Options{})
	addCopies(b, s, 1000) // so that a page of 1000 is full
	for _, limit := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			u := fmt.Sprintf("%s/collections/comuni/items?limit=%d&offset=48", s.URL, limit)
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				res, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				n, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: status %d, %v", u, res.StatusCode, err)
				}
			}
			b.SetBytes(n)
		})
	}
}
