package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

// The JSON Schema documents of a collection, generated from its catalog
// entry: the schema of its features (OGC API – Features Part 5), its
// queryables (Part 3), and the JSON Schema of its GeoJSON features that
// GDAL's OAPIF driver reads to type the fields (it does not read the
// other two), so that a field that is null on the first page still gets
// its type.

const (
	mediaSchema     = "application/schema+json"
	jsonSchema2020  = "https://json-schema.org/draft/2020-12/schema"
	relSchema       = "http://www.opengis.net/def/rel/ogc/1.0/schema"
	relQueryables   = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
	trsGregorian    = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
	pathSchema      = "/schema"
	pathQueryables  = "/queryables"
	pathGeoJSONSpec = "/schema/geojson"
)

// ordered is a JSON object that keeps its members in the order given:
// clients list fields in schema order (GDAL does), and the catalog's
// order is the one people chose.
type ordered []member

type member struct {
	key   string
	value any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key) // a string cannot fail
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// valueSchema is the JSON Schema of one property's values: one JSON type
// (GDAL reads "type" only as a string), dates as strings with a format.
func valueSchema(p catalog.Property) ordered {
	o := ordered{}
	if p.Description != "" {
		o = append(o, member{"description", p.Description})
	}
	switch p.Type {
	case catalog.Date, catalog.DateTime:
		o = append(o, member{"type", "string"}, member{"format", string(p.Type)})
	default:
		o = append(o, member{"type", string(p.Type)})
	}
	if len(p.Enum) > 0 {
		o = append(o, member{"enum", p.Enum})
	}
	return o
}

// geometryFormat is Part 5's format of a spatial property, e.g.
// "geometry-multipolygon".
func geometryFormat(geomType string) string {
	return "geometry-" + strings.ToLower(geomType)
}

// featureSchema is the Part 5 schema of a layer's features: the id, the
// primary geometry and the properties, in the order of the features, with
// their roles; what a client may not write is readOnly.
func featureSchema(l *catalog.Layer, href string) ordered {
	props := ordered{}
	seq := 0
	add := func(name string, o ordered) {
		seq++
		props = append(props, member{name, append(o, member{"x-ogc-propertySeq", seq})})
	}
	fps := l.FeatureProperties()
	for i, p := range fps {
		o := valueSchema(p)
		switch {
		case p.Name == l.IDColumn:
			o = append(o, member{"x-ogc-role", "id"})
		case l.Temporal != nil && p.Name == l.Temporal.Instant:
			o = append(o, member{"x-ogc-role", "primary-instant"})
		case l.Temporal != nil && p.Name == l.Temporal.Start:
			o = append(o, member{"x-ogc-role", "primary-interval-start"})
		case l.Temporal != nil && p.Name == l.Temporal.End:
			o = append(o, member{"x-ogc-role", "primary-interval-end"})
		}
		if l.Edit == nil || !slices.Contains(l.Edit.Writable, p.Name) {
			o = append(o, member{"readOnly", true})
		}
		add(p.Name, o)
		if i == 0 {
			// The geometry after the id, as in the features.
			add("geometry", ordered{{"x-ogc-role", "primary-geometry"}, {"format", geometryFormat(l.GeomType)}})
		}
	}
	if len(fps) == 0 {
		add("geometry", ordered{{"x-ogc-role", "primary-geometry"}, {"format", geometryFormat(l.GeomType)}})
	}
	o := ordered{
		{"$schema", jsonSchema2020},
		{"$id", href},
		{"type", "object"},
		{"title", l.Title},
		{"description", l.Description},
		{"properties", props},
	}
	if l.Edit != nil && len(l.Edit.Required) > 0 {
		// What a create or replace must carry.
		o = append(o, member{"required", append([]string{"geometry"}, l.Edit.Required...)})
	}
	return o
}

// queryablesSchema lists what a filter may name (Part 3): the id, the
// geometry and the properties, exactly what the filter compiler accepts
// (features.Queryables); each but the geometry is also a query parameter
// of the items (equality).
func queryablesSchema(l *catalog.Layer, href string) ordered {
	props := ordered{}
	for _, q := range features.Queryables(l) {
		var o ordered
		if q.Type == "" {
			o = ordered{{"description", q.Description}, {"format", geometryFormat(q.GeomType)}}
		} else {
			o = valueSchema(catalog.Property{Name: q.Name, Type: q.Type, Description: q.Description, Enum: q.Enum})
		}
		if q.Role != "" {
			o = append(o, member{"x-ogc-role", q.Role})
		}
		props = append(props, member{q.Name, o})
	}
	return ordered{
		{"$schema", jsonSchema2020},
		{"$id", href},
		{"type", "object"},
		{"title", l.Title},
		{"properties", props},
		{"additionalProperties", false},
	}
}

// geoJSONSchema is the JSON Schema of one GeoJSON Feature of the layer, in
// the shape GDAL's OAPIF driver reads from a describedby link: the
// feature's "properties" object lists each field with its one type.
//
// A property called "id" is left out: GDAL adds the first field of the
// first page when it is called id (the integer ids travel first among the
// properties, and GDAL names a string top-level id so), and would list it
// twice.
func geoJSONSchema(l *catalog.Layer, href string) ordered {
	props := ordered{}
	for _, p := range l.FeatureProperties() {
		if p.Name != "id" {
			props = append(props, member{p.Name, valueSchema(p)})
		}
	}
	return ordered{
		{"$schema", jsonSchema2020},
		{"$id", href},
		{"title", "GeoJSON feature of " + l.Title},
		{"type", "object"},
		{"required", []string{"type", "geometry", "properties"}},
		{"properties", ordered{
			{"type", ordered{{"type", "string"}, {"enum", []string{"Feature"}}}},
			{"id", ordered{{"type", string(l.IDType)}}},
			{"geometry", ordered{{"type", "object"}, {"properties", ordered{
				{"type", ordered{{"type", "string"}, {"enum", []string{l.GeomType}}}},
				{"coordinates", ordered{{"type", "array"}}},
			}}}},
			{"properties", ordered{{"type", "object"}, {"properties", props}}},
		}},
	}
}

// schemaLinks are the collection's links to its schemas.
func schemaLinks(href string) []link {
	return []link{
		{Href: href + pathSchema, Rel: relSchema, Type: mediaSchema, Title: "schema of the features (OGC API – Features Part 5)"},
		{Href: href + pathQueryables, Rel: relQueryables, Type: mediaSchema, Title: "properties to filter on (OGC API – Features Part 3)"},
		// GDAL's OAPIF driver matches the relation as written here.
		{Href: href + pathGeoJSONSpec, Rel: "describedBy", Type: mediaSchema, Title: "JSON Schema of the GeoJSON features"},
	}
}

// handleSchemaDoc serves a schema document; withPage also as a page,
// for a person reading what a collection holds.
func (s *Server) handleSchemaDoc(build func(*catalog.Layer, string) ordered, path string, withPage bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		l, err := s.layer(chi.URLParam(r, "collectionId"))
		if err != nil {
			return err
		}
		href := s.baseURL(r) + "/collections/" + l.ID + path
		if !withPage {
			if _, err := onlyFormat(r, "json"); err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, mediaSchema, build(l, href))
		}
		f, err := negotiate(w, r, "json")
		if err != nil {
			return err
		}
		if f == formatHTML {
			w.Header().Add("Vary", "Accept-Language")
			return s.schemaPage(w, r, l, build(l, href), path)
		}
		alternateHeader(w, href+"?f=html")
		return writeJSON(w, http.StatusOK, mediaSchema, build(l, href))
	}
}

func (s *Server) handleSchema(w http.ResponseWriter, r *http.Request) error {
	return s.handleSchemaDoc(featureSchema, pathSchema, true)(w, r)
}

func (s *Server) handleQueryables(w http.ResponseWriter, r *http.Request) error {
	return s.handleSchemaDoc(queryablesSchema, pathQueryables, true)(w, r)
}

func (s *Server) handleGeoJSONSchema(w http.ResponseWriter, r *http.Request) error {
	return s.handleSchemaDoc(geoJSONSchema, pathGeoJSONSpec, false)(w, r)
}
