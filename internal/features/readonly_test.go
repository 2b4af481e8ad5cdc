package features

import (
	"testing"

	"github.com/cremasco/atlante/internal/catalog"
)

func TestSameValue(t *testing.T) {
	const stored = "2026-12-03T18:05:58.204962+00:00"
	tests := []struct {
		name         string
		t            catalog.Type
		sent, stored any
		want         bool
	}{
		{"same integer", catalog.Integer, 12.0, 12.0, true},
		{"other integer", catalog.Integer, 13.0, 12.0, false},
		{"whole number", catalog.Number, 12.0, 12.0, true},
		{"number", catalog.Number, 12.5, 12.5, true},
		{"number as text", catalog.Number, "12.5", 12.5, false},
		{"same string", catalog.String, "019035", "019035", true},
		{"other string", catalog.String, "019036", "019035", false},
		{"bool", catalog.Boolean, true, true, true},
		{"other bool", catalog.Boolean, false, true, false},
		{"both null", catalog.Boolean, nil, nil, true},
		{"null sent", catalog.Boolean, nil, true, false},
		{"null stored", catalog.String, "x", nil, false},
		{"object sent", catalog.String, map[string]any{"a": 1.0}, "x", false},
		{"array sent", catalog.Integer, []any{1.0}, 1.0, false},
		{"date", catalog.Date, "2026-01-31", "2026-01-31", true},
		{"other date", catalog.Date, "2026-01-30", "2026-01-31", false},

		{"date-time as read", catalog.DateTime, stored, stored, true},
		{"date-time in UTC", catalog.DateTime, "2026-12-03T18:05:58.204962Z", stored, true},
		{"date-time in another zone", catalog.DateTime, "2026-12-03T19:05:58.204962+01:00", stored, true},
		{"date-time to the millisecond (truncated)", catalog.DateTime, "2026-12-03T18:05:58.204Z", stored, true},
		{"date-time to the millisecond (rounded)", catalog.DateTime, "2026-12-03T18:05:58.205Z", stored, true},
		{"date-time to the second", catalog.DateTime, "2026-12-03T18:05:58Z", stored, true},
		{"date-time a millisecond off", catalog.DateTime, "2026-12-03T18:05:58.206Z", stored, false},
		{"date-time a second off", catalog.DateTime, "2026-12-03T18:05:59Z", stored, false},
		{"date-time a day off", catalog.DateTime, "2026-12-04T18:05:58.204962Z", stored, false},
		{"date-time not a time", catalog.DateTime, "yesterday", stored, false},
		{"date-time as a number", catalog.DateTime, 1.0, stored, false},
	}
	for _, tt := range tests {
		if got := sameValue(tt.t, tt.sent, tt.stored); got != tt.want {
			t.Errorf("%s: sameValue(%s, %v, %v) = %v, want %v", tt.name, tt.t, tt.sent, tt.stored, got, tt.want)
		}
	}
}
