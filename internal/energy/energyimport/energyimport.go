// Package energyimport reads the files of the energy domain — GSE's
// primary-substation zones and the member sites of a community — and loads
// them with package energy's one-transaction loaders: a bad file, feature
// or row fails the whole import with a message naming the file, the row
// (line, or feature and line) and the field, and changes nothing.
//
// Zones come as GeoJSON or a (zipped) Shapefile, read by package importer:
// properties code (the 11-character GSE code; also codice, cod_cp,
// codice_cp, cod_ac, or the property ZoneOptions.CodeProperty names), name
// (nome, denominazione) and distributor (distributore); Polygon or
// MultiPolygon geometry in the file's CRS.
//
// Sites come as CSV (UTF-8, with or without BOM; ";" or "," separated,
// whichever the header has more of; with ";" numbers may use a decimal
// comma) with the header columns kind, name, category, pv_kw, storage_kwh,
// consumption_kwh, lon, lat and optionally istat_code (any order and case;
// x and y, longitude and latitude are accepted for lon and lat), or as
// GeoJSON Points with the same properties. Empty figures mean 0; an empty
// istat_code is derived from the point.
package energyimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/importer"
)

// ZoneOptions say how to import zones.
type ZoneOptions struct {
	CRS          geo.SRID // overrides the file's CRS; 0 uses the file's
	Layer        string   // the Shapefile of an archive holding several
	CodeProperty string   // the property holding the zone code, when not a usual name
	Replace      bool     // delete the zones not in the file
	Source       string   // stored with every zone; default from the file name
	Actor        string   // who imports, for the audit log
	Limits       importer.Limits
}

// SiteOptions say how to import sites.
type SiteOptions struct {
	CRS     geo.SRID // CRS of the coordinates; 0: the file's (GeoJSON) or CRS84 (CSV)
	Replace bool     // delete the community's sites first
	Source  string   // stored with every site; default from the file name
	Actor   string   // who imports, for the audit log
	Limits  importer.Limits
}

// Property names, matched without regard to case.
var (
	zoneCodeKeys        = []string{"code", "codice", "cod_cp", "codice_cp", "cod_ac", "codice_ac"}
	zoneNameKeys        = []string{"name", "nome", "denominazione"}
	zoneDistributorKeys = []string{"distributor", "distributore", "impresa_distributrice"}
)

// fieldError is an Invalid error about one field of one row of a file.
func fieldError(op, file, ref, field, msg string) error {
	where := file
	if ref != "" {
		where += ": " + ref
	}
	return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: where + ": " + field + ": " + msg,
		Fields: []apperr.FieldError{{Field: field, Reason: msg}}}
}

// featureRef names a feature with its line, for messages.
func featureRef(f importer.Feature) string {
	if f.Line > 0 {
		return fmt.Sprintf("line %d, %s", f.Line, f.Ref())
	}
	return f.Ref()
}

// ReadZones reads every feature of r as a zone, in r's CRS (r.SRID()).
func ReadZones(ctx context.Context, r importer.Reader, opts ZoneOptions) ([]energy.ZoneRow, error) {
	const op = "energyimport.ReadZones"
	keys := zoneCodeKeys
	if opts.CodeProperty != "" {
		keys = []string{opts.CodeProperty}
	}
	var zones []energy.ZoneRow
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
		code, _, ok := f.Properties.Text(keys...)
		if !ok {
			return nil, fieldError(op, r.Name(), featureRef(f), keys[0],
				"missing: the zone's GSE code (property "+strings.Join(keys, ", ")+"; or name it with --code-property)")
		}
		name, _, _ := f.Properties.Text(zoneNameKeys...)
		dist, _, _ := f.Properties.Text(zoneDistributorKeys...)
		zones = append(zones, energy.ZoneRow{Ref: featureRef(f), Code: code, Name: name, Distributor: dist, Geom: f.Geometry})
	}
	if len(zones) == 0 {
		return nil, fieldError(op, r.Name(), "", "features", "the file holds no zones")
	}
	return zones, nil
}

// Zones imports the primary-substation zones of the file at path
// (GeoJSON or a zipped Shapefile) in one transaction.
func Zones(ctx context.Context, st *energy.Store, path string, opts ZoneOptions) (energy.LoadSummary, error) {
	r, err := importer.Open(path, importer.OpenOptions{CRS: opts.CRS, Layer: opts.Layer, Limits: opts.Limits})
	if err != nil {
		return energy.LoadSummary{}, err
	}
	defer r.Close()
	zones, err := ReadZones(ctx, r, opts)
	if err != nil {
		return energy.LoadSummary{}, err
	}
	return st.LoadZones(ctx, zones, energy.LoadOptions{
		SRID: int(r.SRID()), Replace: opts.Replace, Source: source(opts.Source, path), Actor: opts.Actor, File: r.Name(),
	})
}

func source(s, path string) string {
	if s != "" {
		return s
	}
	return "imported from " + baseName(path)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}
