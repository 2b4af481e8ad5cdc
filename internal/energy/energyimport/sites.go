package energyimport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/importer"
)

// siteColumns are the columns of a site, with the names accepted for each.
var siteColumns = []struct {
	name     string
	aliases  []string
	required bool
}{
	{"kind", nil, true},
	{"name", nil, true},
	{"category", nil, true},
	{"pv_kw", nil, false},
	{"storage_kwh", nil, false},
	{"consumption_kwh", nil, false},
	{"lon", []string{"x", "longitude"}, true},
	{"lat", []string{"y", "latitude"}, true},
	{"istat_code", nil, false},
}

// maxSiteRows bounds a sites file: communities have hundreds of members,
// not millions, and rows are held in memory until the load.
const maxSiteRows = 100000

// ReadSitesCSV reads the sites of a CSV file (see the package
// documentation). name names the file in messages.
func ReadSitesCSV(r io.Reader, name string) ([]energy.SiteRow, error) {
	const op = "energyimport.ReadSitesCSV"
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	sep := ','
	if bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		sep = ';'
	}
	cr := csv.NewReader(br)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fieldError(op, name, "", "header", "the file is empty")
	}
	if err != nil {
		return nil, csvError(op, name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		for _, c := range siteColumns {
			if h == c.name || containsString(c.aliases, h) {
				if _, dup := cols[c.name]; dup {
					return nil, fieldError(op, name, "line 1", h, "column given twice")
				}
				cols[c.name] = i
			}
		}
	}
	for _, c := range siteColumns {
		if _, ok := cols[c.name]; !ok && c.required {
			return nil, fieldError(op, name, "line 1", c.name, "missing column; the header needs kind, name, category, lon, lat "+
				"(and may have pv_kw, storage_kwh, consumption_kwh, istat_code)")
		}
	}
	var sites []energy.SiteRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(op, name, err)
		}
		line, _ := cr.FieldPos(0)
		ref := "line " + strconv.Itoa(line)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(header) {
			return nil, fieldError(op, name, ref, "row", fmt.Sprintf("%d fields, but the header has %d", len(rec), len(header)))
		}
		if len(sites) == maxSiteRows {
			return nil, fieldError(op, name, ref, "row", fmt.Sprintf("more than %d sites in one file", maxSiteRows))
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		for _, v := range rec {
			if !utf8.ValidString(v) {
				return nil, fieldError(op, name, ref, "row", "not UTF-8 text: save the file as UTF-8")
			}
		}
		s := energy.SiteRow{Ref: ref, Kind: strings.ToLower(get("kind")), Name: get("name"),
			Category: strings.ToLower(get("category")), ISTATCode: get("istat_code")}
		for _, f := range []struct {
			col      string
			to       *float64
			optional bool
		}{
			{"pv_kw", &s.PVKW, true}, {"storage_kwh", &s.StorageKWh, true}, {"consumption_kwh", &s.ConsumptionKWh, true},
			{"lon", &s.Point[0], false}, {"lat", &s.Point[1], false},
		} {
			v, err := parseNumber(get(f.col), sep == ';', f.optional)
			if err != nil {
				return nil, fieldError(op, name, ref, f.col, err.Error())
			}
			*f.to = v
		}
		sites = append(sites, s)
	}
	if len(sites) == 0 {
		return nil, fieldError(op, name, "", "rows", "the file holds no sites")
	}
	return sites, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// csvError reports a malformed CSV file at its line.
func csvError(op, name string, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) { // a limit of importer.LimitLines, with its place
		return err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fieldError(op, name, fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "row", pe.Err.Error())
	}
	return apperr.Wrap(op, apperr.Invalid, err, "%s: cannot read the file", name)
}

// parseNumber reads a decimal number; with comma a decimal comma is
// accepted too. An empty optional field is 0.
func parseNumber(s string, comma, optional bool) (float64, error) {
	if s == "" {
		if optional {
			return 0, nil
		}
		return 0, errors.New("missing")
	}
	t := s
	if comma && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", truncate(s, 30))
	}
	return f, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ReadSites reads every feature of r (GeoJSON Points with the site
// properties) as a site, in r's CRS.
func ReadSites(ctx context.Context, r importer.Reader) ([]energy.SiteRow, error) {
	const op = "energyimport.ReadSites"
	var sites []energy.SiteRow
	for n := 0; ; n++ {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		ref := featureRef(f)
		if len(sites) == maxSiteRows {
			return nil, fieldError(op, r.Name(), ref, "features", fmt.Sprintf("more than %d sites in one file", maxSiteRows))
		}
		text := func(k string) string { s, _, _ := f.Properties.Text(k); return s }
		s := energy.SiteRow{Ref: ref, Kind: strings.ToLower(text("kind")), Name: text("name"),
			Category: strings.ToLower(text("category")), ISTATCode: text("istat_code")}
		for _, p := range []struct {
			key string
			to  *float64
		}{{"pv_kw", &s.PVKW}, {"storage_kwh", &s.StorageKWh}, {"consumption_kwh", &s.ConsumptionKWh}} {
			v, err := parseNumber(text(p.key), false, true)
			if err != nil {
				return nil, fieldError(op, r.Name(), ref, p.key, err.Error())
			}
			*p.to = v
		}
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			what := "missing"
			if f.Geometry != nil {
				what = "a " + f.Geometry.GeoJSONType()
			}
			return nil, fieldError(op, r.Name(), ref, "geometry", what+"; a site is a Point")
		}
		s.Point = pt
		sites = append(sites, s)
	}
	if len(sites) == 0 {
		return nil, fieldError(op, r.Name(), "", "features", "the file holds no sites")
	}
	return sites, nil
}

// Sites imports the member sites of the file at path (CSV, or GeoJSON:
// .geojson, .json) into community, in one transaction.
func Sites(ctx context.Context, st *energy.Store, path string, community int64, opts SiteOptions) (energy.LoadSummary, error) {
	const op = "energyimport.Sites"
	lo := energy.LoadOptions{Replace: opts.Replace, Source: source(opts.Source, path), Actor: opts.Actor, File: path, SRID: int(opts.CRS)}
	var sites []energy.SiteRow
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		f, err := os.Open(path)
		if err != nil {
			return energy.LoadSummary{}, apperr.Wrap(op, apperr.Invalid, err, "%s: cannot read the file", path)
		}
		defer f.Close()
		if sites, err = ReadSitesCSV(importer.LimitLines(f, path, opts.Limits), path); err != nil {
			return energy.LoadSummary{}, err
		}
	case ".geojson", ".json":
		r, err := importer.Open(path, importer.OpenOptions{CRS: opts.CRS, Limits: opts.Limits})
		if err != nil {
			return energy.LoadSummary{}, err
		}
		defer r.Close()
		if sites, err = ReadSites(ctx, r); err != nil {
			return energy.LoadSummary{}, err
		}
		lo.SRID = int(r.SRID())
	default:
		return energy.LoadSummary{}, apperr.New(op, apperr.Invalid, "%s: want a .csv or a .geojson file", path)
	}
	return st.LoadSites(ctx, community, sites, lo)
}
