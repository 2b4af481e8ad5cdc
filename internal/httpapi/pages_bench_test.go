package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/cremasco/atlante/internal/catalog"
)

// BenchmarkItemsPageTemplate measures the largest items page (htmlMaxLimit
// rows of 12 properties) without the database: the template's share.
func BenchmarkItemsPageTemplate(b *testing.B) {
	ps := newPageSet(http.NotFoundHandler())
	p := &page{Lang: "it", Title: "x", msgs: pageMessages["it"]}
	cols := make([]catalog.Property, 12)
	for i := range cols {
		cols[i] = catalog.Property{Name: "p" + strconv.Itoa(i), Description: "d"}
	}
	v := itemsView{Columns: cols, ItemBase: "http://x/items/"}
	for r := 0; r < htmlMaxLimit; r++ {
		row := featureRow{ID: strconv.Itoa(r), Href: "x"}
		for range cols {
			row.Cells = append(row.Cells, p.formatValue([]byte(`"via Roma"`)))
		}
		v.Rows = append(v.Rows, row)
	}
	p.Body = v
	for b.Loop() {
		if err := ps.pages["items"].ExecuteTemplate(io.Discard, "layout", p); err != nil {
			b.Fatal(err)
		}
	}
}
