package cql2

import (
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	dateLayout      = "2006-01-02"
	timestampLayout = "2006-01-02T15:04:05.999999999Z07:00"
)

// parseDate parses a CQL2 date, "YYYY-MM-DD" (RFC 3339 full-date), and
// says what is wrong otherwise.
func parseDate(s string) (time.Time, string) {
	if len(s) != 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return time.Time{}, "a date must be written YYYY-MM-DD, got " + quote(s)
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	if y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, quote(s) + " is not a day of the calendar"
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), ""
}

// parseTimestamp parses a CQL2 timestamp, "YYYY-MM-DDTHH:MM:SS[.fff]Z"
// (RFC 3339 date-time in UTC). Digits of the fraction past nanoseconds are
// dropped.
func parseTimestamp(s string) (time.Time, string) {
	bad := "a timestamp must be written YYYY-MM-DDTHH:MM:SSZ, with optional fractions of a second, in UTC; got " + quote(s)
	if len(s) < 20 || s[10] != 'T' || s[len(s)-1] != 'Z' {
		return time.Time{}, bad
	}
	day, msg := parseDate(s[:10])
	if msg != "" {
		return time.Time{}, msg
	}
	t := s[11 : len(s)-1]
	if len(t) < 8 || !digits(t[0:2]) || t[2] != ':' || !digits(t[3:5]) || t[5] != ':' || !digits(t[6:8]) {
		return time.Time{}, bad
	}
	h, mi, sec := atoi(t[0:2]), atoi(t[3:5]), atoi(t[6:8])
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, quote(s) + " is not a time of the day"
	}
	ns := 0
	if frac := t[8:]; frac != "" {
		if frac[0] != '.' || len(frac) == 1 || !digits(frac[1:]) {
			return time.Time{}, bad
		}
		f := (frac[1:] + "000000000")[:9]
		ns = atoi(f)
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute +
		time.Duration(sec)*time.Second + time.Duration(ns)), ""
}

// parseInstant parses the string bound of an INTERVAL: a date, a timestamp
// or "..".
func parseInstant(p Pos, s string) (Expr, error) {
	switch {
	case s == "..":
		return &Unbounded{at{p}}, nil
	case len(s) == 10:
		t, msg := parseDate(s)
		if msg != "" {
			return nil, errorAt(p, "%s", msg)
		}
		return &Date{at{p}, t}, nil
	case strings.Contains(s, "T"):
		t, msg := parseTimestamp(s)
		if msg != "" {
			return nil, errorAt(p, "%s", msg)
		}
		return &Timestamp{at{p}, t}, nil
	}
	return nil, errorAt(p, "an interval bound must be a date 'YYYY-MM-DD', a timestamp 'YYYY-MM-DDTHH:MM:SSZ' or '..', got %s", quote(s))
}

// checkInterval refuses an interval whose literal start comes after its
// literal end. A date bound covers its whole day, so when either bound is a
// date only the days are compared.
func checkInterval(iv *Interval) error {
	start, ok1 := instant(iv.Start)
	end, ok2 := instant(iv.End)
	if !ok1 || !ok2 {
		return nil
	}
	_, d1 := iv.Start.(*Date)
	_, d2 := iv.End.(*Date)
	if d1 || d2 {
		start, end = start.Truncate(24*time.Hour), end.Truncate(24*time.Hour)
	}
	if start.After(end) {
		return errorAt(iv.Pos(), "the interval starts (%s) after it ends (%s)", formatInstant(iv.Start), formatInstant(iv.End))
	}
	return nil
}

func instant(e Expr) (time.Time, bool) {
	switch n := e.(type) {
	case *Date:
		return n.Time, true
	case *Timestamp:
		return n.Time, true
	}
	return time.Time{}, false
}

// formatInstant writes the string form of a Date or Timestamp, ".." for
// Unbounded.
func formatInstant(e Expr) string {
	switch n := e.(type) {
	case *Date:
		return n.Time.UTC().Format(dateLayout)
	case *Timestamp:
		return n.Time.UTC().Format(timestampLayout)
	}
	return ".."
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseNumber converts a number already known to follow the CQL2 (or JSON)
// grammar; it fails only when the value is out of the float64 range.
func parseNumber(p Pos, s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errorAt(p, "number %s is out of range", quote(s))
	}
	return f, nil
}

// formatNumber writes f in the shortest form that reads back the same, with
// the exponent marker E of the CQL2 grammar.
func formatNumber(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'g', -1, 64), "e", "E", 1)
}
