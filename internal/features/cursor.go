package features

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/cremasco/atlante/internal/catalog"
)

// Cursor is the position after the last feature of a page, where the next
// page starts (keyset paging): the page's sort key, which is the id, after
// the null rank of a layer's ValuesFirst properties or after the page key
// of a layer that has one. A page after a cursor
// reads its own rows through the id index, so the 200th page costs what
// the first does, and rows inserted or deleted before it do not shift it.
type Cursor struct {
	Rank int    // null count among ValuesFirst; always 0 without them
	ID   string // the id as text (decimal for an integer id)
	key  any    // ID typed for the id column
	// Key is the page key (catalog.Layer.PageKey) when keyed: the page
	// was in page key order (see pageSQL).
	Key   int64
	keyed bool
}

// maxCursor bounds the cursor parameter: a text id of the longest length
// a filter value may have, with its rank, in base64.
const maxCursor = 1400

// Encode returns the opaque token of c for the cursor parameter: base64url
// of "rank:id", or "rank:kKEY:id" in page key order, which ParseCursor
// reads back.
func (c Cursor) Encode() string {
	s := strconv.Itoa(c.Rank) + ":"
	if c.keyed {
		s += "k" + strconv.FormatInt(c.Key, 10) + ":"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s + c.ID))
}

// ParseCursor reads a cursor parameter for layer l. Only a token that
// Encode could have written for l is accepted: the rank in range, the id
// of the id column's type, spelt as PostgreSQL prints it.
func ParseCursor(l *catalog.Layer, token string) (Cursor, error) {
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("is not a page cursor of this collection (%s): follow the next link of a page, or start again without cursor", why)
	}
	if token == "" || len(token) > maxCursor {
		return bad(fmt.Sprintf("empty or longer than %d characters", maxCursor))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return bad("not base64url")
	}
	rank, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return bad("no position")
	}
	r, err := strconv.Atoi(rank)
	if err != nil || r < 0 || r > len(l.ValuesFirst) || strconv.Itoa(r) != rank {
		return bad("bad rank")
	}
	c := Cursor{Rank: r, ID: id}
	if key, rest, ok := strings.Cut(id, ":"); l.PageKey != "" && ok && strings.HasPrefix(key, "k") {
		// A page in page key order (a bbox of a layer with a page key,
		// whose ids are integers: no id starts with k).
		k, err := strconv.ParseInt(key[1:], 10, 64)
		if err != nil || k < 0 || "k"+strconv.FormatInt(k, 10) != key {
			return bad("bad page key")
		}
		c.ID, c.Key, c.keyed = rest, k, true
		id = rest
	}
	switch l.IDType {
	case catalog.Integer:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != id {
			return bad("bad id")
		}
		c.key = n
	default:
		if id == "" || len(id) > 1000 || !validText(id) {
			return bad("bad id")
		}
		c.key = id
	}
	return c, nil
}

// cursorFrom returns the cursor after a row of pageSQL (vals: the id, the
// geometry, then the feature properties, and the page key when keyed).
func cursorFrom(l *catalog.Layer, props []catalog.Property, vals [][]byte, keyed bool) Cursor {
	c := Cursor{ID: string(vals[0]), key: string(vals[0])}
	if l.IDType == catalog.Integer {
		c.key, _ = strconv.ParseInt(c.ID, 10, 64) // PostgreSQL's text of an integer
	}
	if keyed {
		// The last column (see pageSQL), never null: a generated column
		// of a geometry that is not null.
		c.Key, _ = strconv.ParseInt(string(vals[len(vals)-1]), 10, 64)
		c.keyed = true
	}
	for _, n := range l.ValuesFirst {
		for i, p := range props {
			if p.Name == n && vals[2+i] == nil {
				c.Rank++
			}
		}
	}
	return c
}
