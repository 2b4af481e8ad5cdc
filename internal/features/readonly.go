package features

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
)

// noReadOnly refuses read-only properties in a new feature: there is no
// stored value they could repeat.
func noReadOnly(readOnly map[string]any) error {
	if len(readOnly) == 0 {
		return nil
	}
	names := make([]string, 0, len(readOnly))
	for n := range readOnly {
		names = append(names, n)
	}
	slices.Sort(names)
	return apperr.Invalidf("features.values", names[0], "is set by the server and cannot be written; leave it out")
}

// sameReadOnly accepts the read-only properties of a replace or update
// when they equal the feature's stored values, as they do when a client
// puts back the feature it read with one value changed (OGC API – Features
// Part 4 round trips; GIS clients send every property). A read-only value
// that differs is refused, naming the property.
func sameReadOnly(ctx context.Context, tx pgx.Tx, l *catalog.Layer, key any, readOnly map[string]any) error {
	if len(readOnly) == 0 {
		return nil
	}
	var b []byte
	err := tx.QueryRow(ctx, "SELECT "+featureSQL(l)+" FROM "+l.Table.Sanitize()+" t WHERE t."+
		pgx.Identifier{l.IDColumn}.Sanitize()+" = $1", key).Scan(&b)
	if err != nil {
		return err
	}
	var stored struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(b, &stored); err != nil {
		return err
	}
	names := make([]string, 0, len(readOnly))
	for n := range readOnly {
		names = append(names, n)
	}
	slices.Sort(names) // the first difference by name, every time
	props := l.FeatureProperties()
	for _, n := range names {
		i := slices.IndexFunc(props, func(p catalog.Property) bool { return p.Name == n })
		if !sameValue(props[i].Type, readOnly[n], stored.Properties[n]) {
			return apperr.Invalidf("features.values", n,
				"is set by the server and differs from the stored value; send it as you read it, or leave it out")
		}
	}
	return nil
}

// sameValue compares a value a client sent with the stored one, both
// decoded from JSON: numbers by value (12 is 12.0), date-times as instants
// at the precision the client kept, truncated or rounded (GIS clients hold
// milliseconds), the rest exactly.
func sameValue(t catalog.Type, sent, stored any) bool {
	if sent == nil || stored == nil {
		return sent == nil && stored == nil
	}
	if t == catalog.DateTime {
		a, aok := sent.(string)
		b, bok := stored.(string)
		if !aok || !bok {
			return false
		}
		ta, err1 := time.Parse(time.RFC3339Nano, a)
		tb, err2 := time.Parse(time.RFC3339Nano, storedRFC3339(b))
		if err1 != nil || err2 != nil {
			return false
		}
		p := precisionOf(a)
		return ta.Equal(tb.Truncate(p)) || ta.Equal(tb.Round(p))
	}
	switch sent.(type) {
	case float64, string, bool:
		return sent == stored
	}
	return false // an object or array is never a stored value
}

// storedRFC3339 turns PostgreSQL's JSON time zone offset "+00:00" form,
// which is RFC 3339 already, into itself; its "+00" form (an offset
// without minutes, as to_json writes for some zones) gets the minutes.
func storedRFC3339(s string) string {
	if n := len(s); n > 3 && (s[n-3] == '+' || s[n-3] == '-') {
		return s + ":00"
	}
	return s
}

// precisionOf returns the resolution of an RFC 3339 date-time's fraction of
// a second: a second without one, a millisecond with three digits.
func precisionOf(s string) time.Duration {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return time.Second
	}
	digits := 0
	for _, c := range s[dot+1:] {
		if c < '0' || c > '9' {
			break
		}
		digits++
	}
	d := time.Second
	for range min(digits, 9) {
		d /= 10
	}
	return d
}
