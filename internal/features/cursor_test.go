package features_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

func TestParseCursor(t *testing.T) {
	civici := catalog.Layer{ID: "civici", IDColumn: "id", IDType: catalog.Integer}
	comuni := catalog.Layer{ID: "comuni", IDColumn: "istat_code", IDType: catalog.String}
	ranked := catalog.Layer{ID: "plans", IDColumn: "istat_code", IDType: catalog.String, ValuesFirst: []string{"a", "b"}}
	keyed := catalog.Layer{ID: "civici", IDColumn: "id", IDType: catalog.Integer, PageKey: "page_key"}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct {
		l     *catalog.Layer
		token string
		ok    bool
	}{
		{&civici, b64("0:42"), true},
		{&civici, b64("0:-7"), true},
		{&comuni, b64("0:019035"), true},
		{&comuni, b64("0:a:b"), true}, // an id may hold the separator
		{&ranked, b64("2:019035"), true},
		{&keyed, b64("0:k246380061656840:42"), true}, // in page key order
		{&keyed, b64("0:k0:42"), true},
		{&keyed, b64("0:42"), true},                    // in id order
		{&keyed, b64("0:k-1:42"), false},               // negative key
		{&keyed, b64("0:k0246380061656840:42"), false}, // not as PostgreSQL prints it
		{&keyed, b64("0:k:42"), false},                 // no key
		{&keyed, b64("0:k1:"), false},                  // no id
		{&keyed, b64("1:k1:42"), false},                // a rank without ValuesFirst
		{&civici, b64("0:k1:42"), false},               // a page key where the layer has none
		{&civici, "", false},
		{&civici, "MDo0Mg==", false},   // padded
		{&civici, "MDo0Mg", true},      // the same unpadded
		{&civici, "MDo0Mh", false},     // non-canonical last bits
		{&civici, "MDo0Mg!", false},    // not base64url
		{&civici, b64("0:042"), false}, // not as PostgreSQL prints it
		{&civici, b64("0:+42"), false}, // idem
		{&civici, b64("0:4.2"), false}, // not an integer
		{&civici, b64("0:99999999999999999999"), false},
		{&civici, b64("1:42"), false},     // a rank without ValuesFirst
		{&civici, b64("00:42"), false},    // rank spelt twice
		{&civici, b64("42"), false},       // no rank
		{&comuni, b64("0:"), false},       // empty id
		{&comuni, b64("0:a\x00b"), false}, // not text
		{&comuni, b64("0:\xff"), false},
		{&ranked, b64("3:019035"), false}, // more nulls than ValuesFirst
		{&ranked, b64("-1:019035"), false},
		{&comuni, b64("0:" + strings.Repeat("x", 1001)), false},
		{&comuni, strings.Repeat("A", 2000), false},
	} {
		c, err := features.ParseCursor(tt.l, tt.token)
		if (err == nil) != tt.ok {
			t.Errorf("ParseCursor(%s, %q) = %+v, %v; want ok %v", tt.l.ID, tt.token, c, err, tt.ok)
			continue
		}
		if err == nil && c.Encode() != tt.token {
			t.Errorf("ParseCursor(%s, %q).Encode() = %q, want the token back", tt.l.ID, tt.token, c.Encode())
		}
	}

	// In a query: a bad cursor or a cursor with an offset names the
	// cursor parameter.
	l := comuniLayer(t)
	for _, v := range []url.Values{
		{"cursor": {"%%%"}},
		{"cursor": {b64("1:019035")}},
		{"cursor": {b64("0:019035")}, "offset": {"10"}},
	} {
		_, err := features.ParseQuery(l, v)
		wantInvalid(t, v, err, "cursor", "cursor")
	}
	q, err := features.ParseQuery(l, url.Values{"cursor": {b64("0:019035")}, "limit": {"5"}})
	if err != nil || q.After == nil || q.After.ID != "019035" {
		t.Fatalf("ParseQuery(cursor) = %+v, %v", q, err)
	}
	if got := q.Self().Get("cursor"); got != b64("0:019035") {
		t.Errorf("Self() cursor = %q, want the one given", got)
	}
}

// page reads one page of q and returns its ids in order.
func (f *filterFixture) page(t testing.TB, l *catalog.Layer, q features.Query) ([]string, features.Page) {
	t.Helper()
	var ids []string
	page, err := f.svc.Items(context.Background(), l, q, func(b []byte) error {
		var v struct{ ID json.RawMessage }
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		ids = append(ids, strings.Trim(string(v.ID), `"`))
		return nil
	})
	if err != nil {
		t.Fatalf("Items(%s, %v) = %v", l.ID, q.Self(), err)
	}
	if page.NumberReturned != len(ids) {
		t.Fatalf("Items(%s, %v) returned %d, said %d", l.ID, q.Self(), len(ids), page.NumberReturned)
	}
	return ids, page
}

// walk pages through q by cursor (next) or by offset, calling between
// before each page after the first, and returns the ids in page order.
func (f *filterFixture) walk(t testing.TB, l *catalog.Layer, q features.Query, byCursor bool, between func(page int)) []string {
	t.Helper()
	var all []string
	for n := 0; ; n++ {
		if n > 0 && between != nil {
			between(n)
		}
		ids, page := f.page(t, l, q)
		all = append(all, ids...)
		if page.Next == nil {
			return all
		}
		if len(ids) != q.Limit {
			t.Fatalf("page %d of %v: %d features and a next cursor", n, q.Self(), len(ids))
		}
		if n > 20000 {
			t.Fatalf("%v: more than %d pages", q.Self(), n)
		}
		if byCursor {
			next := *page.Next
			if q.After != nil && next.Encode() == q.After.Encode() {
				t.Fatalf("page %d of %v: the next cursor is this page's (%+v)", n, q.Self(), next)
			}
			q.After, q.Offset = &next, 0
		} else {
			q.Offset += q.Limit
		}
	}
}

func TestCursorPaging(t *testing.T) {
	f := newFilterFixture(t)
	crema := "ST_Intersects(t.geom, ST_MakeEnvelope(9.60, 45.30, 9.75, 45.40, 4326))"
	tests := []struct {
		layer, query, cond string
	}{
		{"civici", "", "true"},
		{"civici", "bbox=9.60,45.30,9.75,45.40", crema},
		{"civici", "bbox=9.60,45.30,9.75,45.40&filter=number>10", crema + " AND t.number > 10"},
		{"civici", "istat_code=019035&filter=street+LIKE+%27Via%25%27", "t.istat_code = '019035' AND t.street LIKE 'Via%'"},
		{"comuni", "", "true"},      // text ids
		{"plan-status", "", "true"}, // ValuesFirst ordering
		{"plan-status", "bbox=9.60,45.30,9.75,45.40", crema},
	}
	for _, tt := range tests {
		l := f.layer(t, tt.layer)
		want := f.want(t, l, tt.cond)
		// About 20 pages, a page of one, and one page of all.
		limits := []int{len(want)/20 + 1, 1000}
		if len(want) < 100 {
			limits = append(limits, 1)
		}
		for _, limit := range limits {
			v, _ := url.ParseQuery(tt.query)
			v.Set("limit", strconv.Itoa(limit))
			q := parse(t, l, v)
			byOffset := f.walk(t, l, q, false, nil)
			byCursor := f.walk(t, l, q, true, nil)
			if !slices.Equal(byCursor, byOffset) {
				t.Errorf("%s?%s: by cursor %d features, by offset %d, in another order or set", tt.layer, v.Encode(), len(byCursor), len(byOffset))
			}
			got := slices.Clone(byCursor)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s?%s: by cursor %d features (%d distinct), want the %d of SQL", tt.layer, v.Encode(), len(got), len(slices.Compact(slices.Clone(got))), len(want))
			}
			if len(want) < 5 {
				t.Errorf("%s?%s: only %d features: the test needs more", tt.layer, v.Encode(), len(want))
			}
		}
	}
}

// TestCursorPagingUnderWrites pages through civici while other features
// are inserted and deleted between pages: by cursor, every feature that
// stays is read exactly once; by offset (the reference that shows the
// writes matter) some are skipped or read twice.
func TestCursorPagingUnderWrites(t *testing.T) {
	f := newFilterFixture(t)
	l := f.layer(t, "civici")
	ctx := context.Background()
	q := parse(t, l, url.Values{"limit": {"500"}, "bbox": {"9.60,45.30,9.75,45.40"}})
	cond := "ST_Intersects(t.geom, ST_MakeEnvelope(9.60, 45.30, 9.75, 45.40, 4326))"
	before := f.want(t, l, cond)

	// Between pages: delete the lowest remaining id of the box (read or
	// not yet), and insert a civic number in the box.
	deleted := []string{}
	write := func(int) {
		var id string
		err := f.db.Write.QueryRow(ctx, `DELETE FROM civici WHERE id = (SELECT min(id) FROM civici t WHERE `+cond+`
			AND id::text <> ALL($1)) RETURNING id::text`, deleted).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, id)
		if _, err := f.db.Write.Exec(ctx, `INSERT INTO civici (istat_code, street, street_key, number, source, synthetic, geom)
			VALUES ('019035', 'Via Nuova', 'VIA NUOVA', 1, 'test', true, ST_SetSRID(ST_MakePoint(9.69, 45.36), 4326))`); err != nil {
			t.Fatal(err)
		}
	}
	kept := before
	check := func(got []string) (missing, twice int) {
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		for _, id := range kept {
			if slices.Contains(deleted, id) {
				continue
			}
			switch seen[id] {
			case 0:
				missing++
			case 1:
			default:
				twice++
			}
		}
		return missing, twice
	}
	byCursor := f.walk(t, l, q, true, write)
	if missing, twice := check(byCursor); missing > 0 || twice > 0 {
		t.Errorf("by cursor under writes: %d unchanged features missing, %d read twice (of %d)", missing, twice, len(kept)-len(deleted))
	}
	if len(deleted) < 10 {
		t.Fatalf("only %d writes between pages: the test needs more", len(deleted))
	}
	deleted = []string{}
	before = f.want(t, l, cond)
	kept = before
	byOffset := f.walk(t, l, q, false, write)
	if missing, twice := check(byOffset); missing == 0 && twice == 0 {
		t.Errorf("by offset under the same writes nothing was skipped: the writes do not test the cursor")
	}
}

// TestCursorNumberMatched checks that a page after a cursor reports the
// count only from the cache, and that the last page has no next cursor.
func TestCursorNumberMatched(t *testing.T) {
	f := newFilterFixture(t)
	l := f.layer(t, "civici")
	v := url.Values{"limit": {"3"}, "bbox": {"9.60,45.30,9.75,45.40"}}
	want := int64(len(f.want(t, l, "ST_Intersects(t.geom, ST_MakeEnvelope(9.60, 45.30, 9.75, 45.40, 4326))")))

	q := parse(t, l, v)
	_, first := f.page(t, l, q)
	if first.NumberMatched != want || first.Next == nil {
		t.Fatalf("first page: numberMatched %d, next %v; want %d and a next cursor", first.NumberMatched, first.Next, want)
	}
	q.After = first.Next
	_, second := f.page(t, l, q)
	if second.NumberMatched != want {
		t.Errorf("page after the cursor: numberMatched %d, want %d from the cache", second.NumberMatched, want)
	}
	// Another filter was never counted: after a cursor it is not counted.
	v.Set("filter", "number > 0")
	q = parse(t, l, v)
	q.After = first.Next
	if _, p := f.page(t, l, q); p.NumberMatched != -1 {
		t.Errorf("uncounted query after a cursor: numberMatched %d, want -1 (not counted)", p.NumberMatched)
	}
	// The page that ends the result has no next cursor.
	q = parse(t, l, url.Values{"limit": {"10000"}, "istat_code": {"019035"}})
	want = int64(len(f.want(t, l, "t.istat_code = '019035'")))
	if ids, p := f.page(t, l, q); int64(len(ids)) != want || p.Next != nil {
		t.Errorf("one page of everything: %d features, next %v; want %d and none", len(ids), p.Next, want)
	}
	q.Limit = int(want)
	if _, p := f.page(t, l, q); p.Next != nil {
		t.Errorf("a page of exactly the %d features has a next cursor", want)
	}
}

// TestPageKeyOrder: civici pages inside a bbox (read through the page key
// ranges of the box) are the civic numbers SQL finds in the box, in
// (page_key, id) order, whether walked by cursor or by offset, and the
// first page's numberMatched is SQL's count; for boxes from a point to
// the whole Cremasco, in CRS84, in EPSG:4326 (latitude first) and in a
// projected CRS (no key ranges: the GiST index, id order). A cursor of
// one order is refused by a query of the other.
func TestPageKeyOrder(t *testing.T) {
	f := newFilterFixture(t)
	l := f.layer(t, "civici")
	ctx := context.Background()
	// Boxes around civic numbers of the demo: one per size, each centred
	// on a civic number taken at random, so that none is empty by chance.
	var centres [][2]float64
	rows, err := f.db.Read.Query(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM civici ORDER BY md5(id::text) LIMIT 12`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c [2]float64
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			t.Fatal(err)
		}
		centres = append(centres, c)
	}
	if rows.Err() != nil || len(centres) != 12 {
		t.Fatalf("%d centres: %v", len(centres), rows.Err())
	}
	type box struct{ query, cond string }
	var boxes []box
	for i, c := range centres {
		half := 0.00002 * math.Pow(3, float64(i)) // 2 m to 10 km
		x0, y0, x1, y1 := c[0]-half, c[1]-half*0.7, c[0]+half, c[1]+half*0.7
		env := fmt.Sprintf("ST_MakeEnvelope(%v, %v, %v, %v, 4326)", x0, y0, x1, y1)
		boxes = append(boxes, box{fmt.Sprintf("bbox=%v,%v,%v,%v", x0, y0, x1, y1), "ST_Intersects(t.geom, " + env + ")"})
		if i%4 == 1 {
			boxes = append(boxes,
				box{fmt.Sprintf("bbox=%v,%v,%v,%v&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", y0, x0, y1, x1), "ST_Intersects(t.geom, " + env + ")"},
				box{fmt.Sprintf("bbox=%v,%v,%v,%v&filter=number>5", x0, y0, x1, y1), "ST_Intersects(t.geom, " + env + ") AND t.number > 5"})
		}
	}
	// A civic number exactly on a box's corner and one on its edge.
	c := centres[5]
	boxes = append(boxes, box{fmt.Sprintf("bbox=%v,%v,%v,%v", c[0], c[1], c[0]+0.01, c[1]+0.01),
		fmt.Sprintf("ST_Intersects(t.geom, ST_MakeEnvelope(%v, %v, %v, %v, 4326))", c[0], c[1], c[0]+0.01, c[1]+0.01)})
	boxes = append(boxes, box{fmt.Sprintf("bbox=%v,%v,%v,%v", c[0]-0.01, c[1]-0.01, c[0]+0.01, c[1]),
		fmt.Sprintf("ST_Intersects(t.geom, ST_MakeEnvelope(%v, %v, %v, %v, 4326))", c[0]-0.01, c[1]-0.01, c[0]+0.01, c[1])})
	// A box that is one point, on a civic number; a box with a property
	// filter beside it.
	p := centres[3]
	boxes = append(boxes, box{fmt.Sprintf("bbox=%v,%v,%v,%v", p[0], p[1], p[0], p[1]),
		fmt.Sprintf("ST_Intersects(t.geom, ST_Envelope(ST_MakeEnvelope(%v, %v, %v, %v, 4326)))", p[0], p[1], p[0], p[1])})
	boxes = append(boxes, box{"bbox=9.6,45.3,9.8,45.4&best_status=active",
		"ST_Intersects(t.geom, ST_MakeEnvelope(9.6, 45.3, 9.8, 45.4, 4326)) AND t.best_status = 'active'"})
	boxes = append(boxes, box{"bbox=1540000,5010000,1560000,5030000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3003",
		"ST_Intersects(t.geom, ST_Transform(ST_Segmentize(ST_MakeEnvelope(1540000, 5010000, 1560000, 5030000, 3003), 250), 4326))"})

	big := 0
	for _, b := range boxes {
		// Boxes in longitude and latitude are in page key order, the
		// projected box in id order.
		order := "t.page_key, t.id"
		if strings.Contains(b.query, "3003") {
			order = "t.id"
		}
		rows, err := f.db.Read.Query(ctx, "SELECT t.id::text FROM civici_coverage t WHERE "+b.cond+" ORDER BY "+order)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 1000 {
			big++
		}
		v, _ := url.ParseQuery(b.query)
		v.Set("limit", strconv.Itoa(len(want)/15+1))
		q := parse(t, l, v)
		_, first := f.page(t, l, q)
		if first.NumberMatched != int64(len(want)) {
			t.Errorf("%s: numberMatched %d, SQL counts %d", b.query, first.NumberMatched, len(want))
		}
		byCursor := f.walk(t, l, q, true, nil)
		byOffset := f.walk(t, l, q, false, nil)
		if !slices.Equal(byCursor, want) || !slices.Equal(byOffset, want) {
			t.Errorf("%s: by cursor %d features, by offset %d, SQL %d: not the same features in the order %s", b.query, len(byCursor), len(byOffset), len(want), order)
		}
		if len(want) == 0 {
			t.Errorf("%s: no civic number in the box: the test needs some", b.query)
		}
		// Past the last page: nothing, and the count.
		q.Offset = len(want) + 5
		if ids, p := f.page(t, l, q); len(ids) != 0 || p.Next != nil || p.NumberMatched != int64(len(want)) {
			t.Errorf("%s&offset=%d: %d features, next %v, numberMatched %d; want none, no next and %d", b.query, q.Offset, len(ids), p.Next, p.NumberMatched, len(want))
		}
	}
	if big < 2 {
		t.Errorf("only %d boxes with more than 1,000 civic numbers: the test needs large ones", big)
	}

	v := url.Values{"limit": {"3"}, "bbox": {"9.6,45.3,9.8,45.4"}}
	_, first := f.page(t, l, parse(t, l, v))
	if first.Next == nil || !strings.Contains(string(mustB64(t, first.Next.Encode())), ":k") {
		t.Fatalf("first page of a box: next cursor %+v, want one in page key order", first.Next)
	}
	for _, v := range []url.Values{
		{"cursor": {first.Next.Encode()}},
		{"cursor": {first.Next.Encode()}, "bbox": {"1540000,5010000,1560000,5030000"}, "bbox-crs": {"http://www.opengis.net/def/crs/EPSG/0/3003"}},
		{"cursor": {base64.RawURLEncoding.EncodeToString([]byte("0:42"))}, "bbox": {"9.6,45.3,9.8,45.4"}},
	} {
		_, err := features.ParseQuery(l, v)
		wantInvalid(t, v, err, "cursor", "not a page cursor of this query")
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
