package features_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

func TestParseCursor(t *testing.T) {
	civici := catalog.Layer{ID: "civici", IDColumn: "id", IDType: catalog.Integer}
	comuni := catalog.Layer{ID: "comuni", IDColumn: "istat_code", IDType: catalog.String}
	ranked := catalog.Layer{ID: "plans", IDColumn: "istat_code", IDType: catalog.String, ValuesFirst: []string{"a", "b"}}
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
