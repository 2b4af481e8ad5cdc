package catalog_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/app"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// plainLayer is a valid, editable layer that each test case spoils in one
// way. A fresh value every call, so cases never share slices.
func plainLayer() catalog.Layer {
	return catalog.Layer{
		ID:       "places",
		Title:    "Places",
		Table:    pgx.Identifier{"public", "places"},
		IDColumn: "id",
		IDType:   catalog.Integer,
		Geom:     "geom",
		GeomType: "Point",
		TileGeom: "geom_3857",
		Properties: []catalog.Property{
			{Name: "istat_code", Type: catalog.String},
			{Name: "name", Type: catalog.String},
			{Name: "kind", Type: catalog.String, Enum: []string{"a", "b"}},
			{Name: "capacity", Type: catalog.Integer},
			{Name: "share", Type: catalog.Number},
			{Name: "open", Type: catalog.Boolean},
			{Name: "since", Type: catalog.Date},
			{Name: "updated_at", Type: catalog.DateTime},
		},
		TileProperties: []string{"name", "kind"},
		MinZoom:        0,
		MaxZoom:        24,
		Edit: &catalog.Edit{
			Table:       pgx.Identifier{"public", "places"},
			ScopeColumn: "istat_code",
			Writable:    []string{"istat_code", "name", "kind"},
			Required:    []string{"istat_code", "name"},
			GeomTypes:   []string{"Point"},
		},
	}
}

func TestNewValid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*catalog.Layer)
	}{
		{"as declared", func(*catalog.Layer) {}},
		{"table without schema", func(l *catalog.Layer) { l.Table = pgx.Identifier{"places"} }},
		{"id with dash and digits", func(l *catalog.Layer) { l.ID = "coverage-comuni_2" }},
		{"id of 63 characters", func(l *catalog.Layer) { l.ID = "a" + strings.Repeat("b", 62) }},
		{"string ids", func(l *catalog.Layer) { l.IDType = catalog.String }},
		{"no tile geometry", func(l *catalog.Layer) { l.TileGeom = "" }},
		{"tile function", func(l *catalog.Layer) { l.TileFunc = pgx.Identifier{"public", "places_tile"} }},
		{"one zoom", func(l *catalog.Layer) { l.MinZoom, l.MaxZoom = 12, 12 }},
		{"tile geometries simplified in advance, prebuilt", func(l *catalog.Layer) {
			l.TileGeoms, l.Prebuild = &catalog.TileGeoms{Table: pgx.Identifier{"public", "places_tile_geoms"}, MaxZoom: 16}, true
		}},
		{"no properties", func(l *catalog.Layer) { l.Properties, l.TileProperties, l.Edit = nil, nil, nil }},
		{"id column is also a property", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "id", Type: catalog.Integer})
		}},
		{"read-only", func(l *catalog.Layer) { l.Edit = nil }},
		{"nothing required", func(l *catalog.Layer) { l.Edit.Required = nil }},
		{"temporal instant", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Instant: "updated_at"} }},
		{"temporal date instant", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Instant: "since"} }},
		{"temporal interval", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Start: "since", End: "updated_at"} }},
		{"values first", func(l *catalog.Layer) { l.ValuesFirst = []string{"since", "capacity"} }},
		{"page key", func(l *catalog.Layer) { l.PageKey = "page_key" }},
		{"multipolygons, polygons promoted", func(l *catalog.Layer) { l.GeomType, l.Edit.GeomTypes = "MultiPolygon", []string{"MultiPolygon"} }},
		{"lines", func(l *catalog.Layer) { l.GeomType, l.Edit = "MultiLineString", nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := plainLayer()
			tt.edit(&l)
			c, err := catalog.New(l)
			if err != nil {
				t.Fatalf("New(%s) = %v, want a catalog", tt.name, err)
			}
			got, ok := c.Layer(l.ID)
			if !ok || got.ID != l.ID {
				t.Fatalf("Layer(%q) = %v, %v, want the layer", l.ID, got, ok)
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*catalog.Layer)
		want string // in the error
	}{
		{"empty id", func(l *catalog.Layer) { l.ID = "" }, `layer id ""`},
		{"upper-case id", func(l *catalog.Layer) { l.ID = "Places" }, `layer id "Places"`},
		{"id starting with a digit", func(l *catalog.Layer) { l.ID = "1places" }, `layer id "1places"`},
		{"id with a slash", func(l *catalog.Layer) { l.ID = "a/b" }, `layer id "a/b"`},
		{"id with a space", func(l *catalog.Layer) { l.ID = "a b" }, `layer id "a b"`},
		{"id with a quote", func(l *catalog.Layer) { l.ID = "a'b" }, `layer id "a'b"`},
		{"id of 64 characters", func(l *catalog.Layer) { l.ID = "a" + strings.Repeat("b", 63) }, "layer id"},

		{"no table", func(l *catalog.Layer) { l.Table = nil }, "table must be [schema.]name"},
		{"table of three parts", func(l *catalog.Layer) { l.Table = pgx.Identifier{"db", "public", "places"} }, "table must be [schema.]name"},
		{"quoted table", func(l *catalog.Layer) { l.Table = pgx.Identifier{"public", `pla"ces`} }, `table name "pla\"ces" is not a plain identifier`},
		{"upper-case schema", func(l *catalog.Layer) { l.Table = pgx.Identifier{"Public", "places"} }, `table name "Public"`},
		{"table with SQL", func(l *catalog.Layer) { l.Table = pgx.Identifier{"places; DROP TABLE comuni"} }, "is not a plain identifier"},
		{"empty id column", func(l *catalog.Layer) { l.IDColumn = "" }, `column "" is not a plain identifier`},
		{"id column with a space", func(l *catalog.Layer) { l.IDColumn = "the id" }, `column "the id"`},
		{"empty geometry column", func(l *catalog.Layer) { l.Geom = "" }, `column ""`},
		{"geometry column with a dash", func(l *catalog.Layer) { l.Geom = "geom-4326" }, `column "geom-4326"`},
		{"tile geometry column", func(l *catalog.Layer) { l.TileGeom = "Geom3857" }, `tile geometry column "Geom3857"`},
		{"tile function", func(l *catalog.Layer) { l.TileFunc = pgx.Identifier{"public", "tile()"} }, `tile function name "tile()" is not a plain identifier`},
		{"tile function of three parts", func(l *catalog.Layer) { l.TileFunc = pgx.Identifier{"db", "public", "places_tile"} }, "tile function must be [schema.]name"},
		{"tile geometries table", func(l *catalog.Layer) {
			l.TileGeoms = &catalog.TileGeoms{Table: pgx.Identifier{"public", "geoms;"}, MaxZoom: 16}
		}, `tile geometry table name "geoms;" is not a plain identifier`},
		{"tile geometries without a tile geometry column", func(l *catalog.Layer) {
			l.TileGeom, l.TileGeoms = "", &catalog.TileGeoms{Table: pgx.Identifier{"public", "places_tile_geoms"}, MaxZoom: 16}
		}, "tile geometries need a tile geometry column"},
		{"tile geometries beyond zoom 24", func(l *catalog.Layer) {
			l.TileGeoms = &catalog.TileGeoms{Table: pgx.Identifier{"public", "places_tile_geoms"}, MaxZoom: 25}
		}, "max zoom within 0..24"},

		{"no id type", func(l *catalog.Layer) { l.IDType = "" }, "id type must be string or integer"},
		{"number ids", func(l *catalog.Layer) { l.IDType = catalog.Number }, "id type must be string or integer"},

		// One geometry type per layer: QGIS types a layer by its first
		// features and draws nothing else (it drew no emergency area
		// polygon in a layer of points and polygons).
		{"any geometry", func(l *catalog.Layer) { l.GeomType = "Geometry" }, `geometry type "Geometry": want one of Point, MultiPoint,`},
		{"no geometry type", func(l *catalog.Layer) { l.GeomType = "" }, `geometry type ""`},
		{"geometry collection", func(l *catalog.Layer) { l.GeomType = "GeometryCollection" }, `geometry type "GeometryCollection"`},
		{"geometry type in upper case", func(l *catalog.Layer) { l.GeomType = "POINT" }, `geometry type "POINT"`},
		{"edit accepts another type", func(l *catalog.Layer) { l.Edit.GeomTypes = []string{"Point", "Polygon"} },
			"edit accepts Polygon geometries but the layer holds Point"},
		{"edit accepts polygons into multipolygons", func(l *catalog.Layer) {
			l.GeomType, l.Edit.GeomTypes = "MultiPolygon", []string{"Polygon", "MultiPolygon"}
		}, "edit accepts Polygon geometries but the layer holds MultiPolygon"},

		{"temporal of text", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Instant: "name"} },
			`temporal property "name" is not a date or date-time property`},
		{"temporal unknown", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Instant: "created_at"} },
			`temporal property "created_at" is not a date`},
		{"temporal empty", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{} }, "temporal needs an instant, or a start and an end"},
		{"temporal instant and interval", func(l *catalog.Layer) {
			l.Temporal = &catalog.Temporal{Instant: "since", Start: "since", End: "updated_at"}
		}, "temporal needs an instant, or a start and an end"},
		{"temporal start only", func(l *catalog.Layer) { l.Temporal = &catalog.Temporal{Start: "since"} }, "temporal needs"},
		{"values first unknown", func(l *catalog.Layer) { l.ValuesFirst = []string{"colour"} }, `values-first property "colour" is not a property`},
		{"page key of polygons", func(l *catalog.Layer) { l.PageKey, l.GeomType, l.Edit = "page_key", "MultiPolygon", nil },
			"a page key needs a Point layer"},
		{"page key and values first", func(l *catalog.Layer) { l.PageKey, l.ValuesFirst = "page_key", []string{"since"} },
			"a page key needs a Point layer with integer ids, without values-first properties"},
		{"page key with text ids", func(l *catalog.Layer) { l.PageKey, l.IDType = "page_key", catalog.String }, "a page key needs a Point layer with integer ids"},
		{"page key a property", func(l *catalog.Layer) { l.PageKey = "name" }, `page key column "name" is not a plain identifier apart from the properties`},
		{"page key the id", func(l *catalog.Layer) { l.PageKey = l.IDColumn }, `page key column "id" is not a plain identifier apart from the properties, the id`},
		{"page key the geometry", func(l *catalog.Layer) { l.PageKey = l.Geom }, `apart from the properties, the id and the geometry`},
		{"page key not an identifier", func(l *catalog.Layer) { l.PageKey = "key; DROP" }, `page key column "key; DROP"`},

		{"negative min zoom", func(l *catalog.Layer) { l.MinZoom = -1 }, "zoom range -1..24"},
		{"max zoom over 24", func(l *catalog.Layer) { l.MaxZoom = 25 }, "zoom range 0..25"},
		{"min zoom over max zoom", func(l *catalog.Layer) { l.MinZoom, l.MaxZoom = 14, 8 }, "zoom range 14..8"},

		{"reserved property limit", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "limit", Type: catalog.Integer})
		}, `property "limit" clashes with a query parameter`},
		{"reserved property bbox", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "bbox", Type: catalog.String})
		}, `property "bbox" clashes with a query parameter`},
		{"reserved property f", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "f", Type: catalog.String})
		}, `property "f" clashes with a query parameter`},
		{"property geometry", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "geometry", Type: catalog.String})
		}, `property "geometry" clashes with the name of the geometry in schemas and filters`},
		{"duplicate property", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "name", Type: catalog.String})
		}, `property "name" declared twice`},
		{"property not plain", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "Name", Type: catalog.String})
		}, `property "Name" is not a plain identifier`},
		{"property with a dash", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "bbox-crs", Type: catalog.String})
		}, `property "bbox-crs" is not a plain identifier`},
		{"property is the geometry", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "geom", Type: catalog.String})
		}, `property "geom" is the geometry column`},
		{"property is the tile geometry", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "geom_3857", Type: catalog.String})
		}, `property "geom_3857" is the geometry column`},
		{"property without a type", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "note"})
		}, `property "note" has unknown type ""`},
		{"property of unknown type", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "note", Type: "blob"})
		}, `property "note" has unknown type "blob"`},
		{"tile property not a property", func(l *catalog.Layer) {
			l.TileProperties = append(l.TileProperties, "colour")
		}, `tile property "colour" is not a property`},

		{"edit without a table", func(l *catalog.Layer) { l.Edit.Table = nil }, "edit needs a table"},
		{"edit without geometry types", func(l *catalog.Layer) { l.Edit.GeomTypes = nil }, "edit needs a table"},
		{"edit without a scope", func(l *catalog.Layer) { l.Edit.ScopeColumn = "" }, "edit needs a table"},
		{"edit scope not a property", func(l *catalog.Layer) { l.Edit.ScopeColumn = "comune" }, "edit needs a table"},
		{"edit table not plain", func(l *catalog.Layer) { l.Edit.Table = pgx.Identifier{"public", "Places"} }, `edit table name "Places" is not a plain identifier`},
		{"edit table of three parts", func(l *catalog.Layer) { l.Edit.Table = pgx.Identifier{"db", "public", "places"} }, "edit table must be [schema.]name"},
		{"writable not a property", func(l *catalog.Layer) {
			l.Edit.Writable = append(l.Edit.Writable, "colour")
		}, `writable property "colour" is not a property`},
		{"required not a property", func(l *catalog.Layer) {
			l.Edit.Required = append(l.Edit.Required, "colour")
		}, `writable property "colour" is not a property`},
		{"required not writable", func(l *catalog.Layer) {
			l.Edit.Required = append(l.Edit.Required, "capacity")
		}, `required property "capacity" is not writable`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := plainLayer()
			tt.edit(&l)
			c, err := catalog.New(l)
			if err == nil {
				t.Fatalf("New(%s) = %v, want an error containing %q", tt.name, c, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "catalog: ") {
				t.Fatalf("New(%s) = %q, want an error containing %q", tt.name, err, tt.want)
			}
			// Every error about a valid id names the layer.
			if !strings.Contains(tt.want, "layer id") && !strings.Contains(err.Error(), `layer "`+l.ID+`"`) {
				t.Fatalf("New(%s) = %q, want it to name layer %q", tt.name, err, l.ID)
			}
		})
	}
}

func TestNewDuplicateLayer(t *testing.T) {
	a, b := plainLayer(), plainLayer()
	b.Title = "Other places"
	if _, err := catalog.New(a, b); err == nil || !strings.Contains(err.Error(), `layer "places" declared twice`) {
		t.Fatalf("New(places, places) = %v, want a duplicate layer error", err)
	}
	b.ID = "other-places"
	c, err := catalog.New(a, b)
	if err != nil {
		t.Fatalf("New(places, other-places) = %v", err)
	}
	var ids []string
	for _, l := range c.Layers() {
		ids = append(ids, l.ID)
	}
	if want := []string{"places", "other-places"}; !slices.Equal(ids, want) {
		t.Fatalf("Layers() = %v, want %v (declaration order)", ids, want)
	}
	if _, ok := c.Layer("nowhere"); ok {
		t.Fatalf("Layer(nowhere) found a layer")
	}
}

func TestNewCopiesLayers(t *testing.T) {
	l := plainLayer()
	c, err := catalog.New(l)
	if err != nil {
		t.Fatal(err)
	}
	l.Title = "changed after New"
	if got, _ := c.Layer("places"); got.Title != "Places" {
		t.Fatalf("Layer(places).Title = %q after the caller changed its value, want %q", got.Title, "Places")
	}
}

func TestProperty(t *testing.T) {
	l := plainLayer()
	tests := []struct {
		name     string
		wantType catalog.Type
		wantOK   bool
	}{
		{"name", catalog.String, true},
		{"capacity", catalog.Integer, true},
		{"since", catalog.Date, true},
		{"Name", "", false},
		{"geom", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := l.Property(tt.name)
			if ok != tt.wantOK || p.Type != tt.wantType || (ok && p.Name != tt.name) {
				t.Fatalf("Property(%q) = %+v, %v, want type %q, %v", tt.name, p, ok, tt.wantType, tt.wantOK)
			}
		})
	}
	want := []string{"istat_code", "name", "kind", "capacity", "share", "open", "since", "updated_at"}
	if got := l.PropertyNames(); !slices.Equal(got, want) {
		t.Fatalf("PropertyNames() = %v, want %v", got, want)
	}
}

func TestFeatureProperties(t *testing.T) {
	names := func(l catalog.Layer) []string {
		var out []string
		for _, p := range l.FeatureProperties() {
			out = append(out, p.Name+":"+string(p.Type))
		}
		return out
	}
	l := plainLayer()
	l.Properties = l.Properties[:2]
	// An id that is not a property travels first among them, so that it
	// survives clients that keep only the properties (ogr2ogr to GeoJSON).
	if got, want := names(l), []string{"id:integer", "istat_code:string", "name:string"}; !slices.Equal(got, want) {
		t.Errorf("FeatureProperties() = %v, want %v", got, want)
	}
	l.IDColumn, l.IDType = "istat_code", catalog.String
	if got, want := names(l), []string{"istat_code:string", "name:string"}; !slices.Equal(got, want) {
		t.Errorf("FeatureProperties() with a property as id = %v, want %v", got, want)
	}
}

func TestTileProps(t *testing.T) {
	names := func(ps []catalog.Property) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	tests := []struct {
		name  string
		props []string
		want  []string
	}{
		{"nil means all", nil, []string{"istat_code", "name", "kind", "capacity", "share", "open", "since", "updated_at"}},
		{"empty means none", []string{}, nil},
		{"in the listed order", []string{"kind", "name"}, []string{"kind", "name"}},
		{"unknown names left out", []string{"name", "colour"}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := plainLayer()
			l.TileProperties = tt.props
			if got := names(l.TileProps()); !slices.Equal(got, tt.want) {
				t.Fatalf("TileProps() with TileProperties %v = %v, want %v", tt.props, got, tt.want)
			}
		})
	}
	// The properties keep their types.
	l := plainLayer()
	if ps := l.TileProps(); len(ps) != 2 || ps[1].Name != "kind" || !slices.Equal(ps[1].Enum, []string{"a", "b"}) {
		t.Fatalf("TileProps() = %+v, want name and kind with its enum", ps)
	}
}

func TestSourceTables(t *testing.T) {
	tests := []struct {
		name    string
		table   pgx.Identifier
		sources []string
		want    []string
	}{
		{"schema and table", pgx.Identifier{"public", "places"}, nil, []string{"places"}},
		{"table alone", pgx.Identifier{"places"}, nil, []string{"places"}},
		{"view over sources", pgx.Identifier{"public", "places_view"}, []string{"places", "offers"}, []string{"places", "offers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := plainLayer()
			l.Table, l.Sources = tt.table, tt.sources
			if got := l.SourceTables(); !slices.Equal(got, tt.want) {
				t.Fatalf("SourceTables() of %v with Sources %v = %v, want %v", tt.table, tt.sources, got, tt.want)
			}
		})
	}
}

func TestHash(t *testing.T) {
	base := plainLayer()
	h := base.Hash()
	if len(h) != 8 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("Hash() = %q, want 8 hex digits", h)
	}
	if again := plainLayer(); again.Hash() != h {
		t.Fatalf("Hash() of an equal layer = %q, want %q", again.Hash(), h)
	}
	tests := []struct {
		name string
		edit func(*catalog.Layer)
	}{
		{"title", func(l *catalog.Layer) { l.Title = "Other" }},
		{"table", func(l *catalog.Layer) { l.Table = pgx.Identifier{"public", "places_v2"} }},
		{"max zoom", func(l *catalog.Layer) { l.MaxZoom = 18 }},
		{"a property added", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "note", Type: catalog.String})
		}},
		{"a property's type", func(l *catalog.Layer) { l.Properties[3].Type = catalog.Number }},
		{"an enum value", func(l *catalog.Layer) { l.Properties[2].Enum = []string{"a", "b", "c"} }},
		{"tile properties", func(l *catalog.Layer) { l.TileProperties = nil }},
		{"tile fields", func(l *catalog.Layer) { l.TileFields = map[string]string{"n": "count"} }},
		{"tile function", func(l *catalog.Layer) { l.TileFunc = pgx.Identifier{"public", "places_tile"} }},
		{"sources", func(l *catalog.Layer) { l.Sources = []string{"places", "offers"} }},
		{"access", func(l *catalog.Layer) { l.Access = catalog.Private }},
		{"edit", func(l *catalog.Layer) { l.Edit.Writable = l.Edit.Writable[:2] }},
	}
	seen := map[string]string{h: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := plainLayer()
			tt.edit(&l)
			got := l.Hash()
			if got == h {
				t.Fatalf("Hash() after changing the %s = %q, the same as before", tt.name, got)
			}
			if other, dup := seen[got]; dup {
				t.Fatalf("Hash() after changing the %s = %q, the same as after changing the %s", tt.name, got, other)
			}
			seen[got] = tt.name
		})
	}
}

// TestCheck runs the start-up check of every layer Atlante serves against
// the migrated database, then against descriptors the migrations do not
// match.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	all, err := app.Catalog()
	if err != nil {
		t.Fatalf("app.Catalog() = %v", err)
	}
	if err := all.Check(ctx, db.Write); err != nil {
		t.Fatalf("Check(every layer) = %v, want nil", err)
	}

	base := comuni.Layers()[0]
	tests := []struct {
		name string
		edit func(*catalog.Layer)
		want []string // all in the error
	}{
		{"unknown id column", func(l *catalog.Layer) { l.IDColumn = "codice" },
			[]string{"layer comuni: ", `"public"."comuni" has no column codice`}},
		{"unknown geometry column", func(l *catalog.Layer) { l.Geom = "the_geom" },
			[]string{"layer comuni: ", "has no column the_geom"}},
		{"unknown tile geometry column", func(l *catalog.Layer) { l.TileGeom = "geom_900913" },
			[]string{"layer comuni: ", "has no column geom_900913"}},
		{"unknown property", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "population", Type: catalog.Integer})
		}, []string{"layer comuni: ", "has no column population"}},
		{"two unknown columns", func(l *catalog.Layer) {
			l.Properties = append(l.Properties, catalog.Property{Name: "population", Type: catalog.Integer},
				catalog.Property{Name: "mayor", Type: catalog.String})
		}, []string{"has no column population", "has no column mayor"}},
		{"unknown table", func(l *catalog.Layer) { l.Table = pgx.Identifier{"public", "comuni_2026"} },
			[]string{"layer comuni: ", `relation "public"."comuni_2026" does not exist`}},
		{"unknown schema", func(l *catalog.Layer) { l.Table = pgx.Identifier{"istat", "comuni"} },
			[]string{"layer comuni: ", `relation "istat"."comuni" does not exist`}},
		{"unknown tile function", func(l *catalog.Layer) { l.TileFunc, l.TileGeoms = pgx.Identifier{"public", "comuni_tile"}, nil },
			[]string{"layer comuni: ", `tile function "public"."comuni_tile" does not exist`}},
		{"unknown tile geometries table", func(l *catalog.Layer) {
			l.TileGeoms = &catalog.TileGeoms{Table: pgx.Identifier{"public", "comuni_generalised"}, MaxZoom: 16}
		}, []string{"layer comuni: ", `tile geometry table "public"."comuni_generalised" has no column id`}},
		{"unknown edit table", func(l *catalog.Layer) {
			l.Edit = &catalog.Edit{Table: pgx.Identifier{"public", "comuni_edits"}, ScopeColumn: "istat_code",
				Writable: []string{"name"}, GeomTypes: []string{"MultiPolygon"}}
		}, []string{"layer comuni: ", `edit table "public"."comuni_edits" does not exist`}},
		{"edit table without a version column", func(l *catalog.Layer) {
			l.Edit = &catalog.Edit{Table: pgx.Identifier{"public", "comuni"}, ScopeColumn: "istat_code",
				Writable: []string{"name"}, GeomTypes: []string{"MultiPolygon"}}
		}, []string{"layer comuni: ", `edit table "public"."comuni" has no column version`}},
		{"another geometry type", func(l *catalog.Layer) { l.GeomType = "Polygon" },
			[]string{"layer comuni: ", `"public"."comuni".geom holds MultiPolygon geometries, the layer declares Polygon`}},
		{"geometry column not a geometry", func(l *catalog.Layer) { l.Geom = "updated_at" },
			[]string{"layer comuni: ", `"public"."comuni".updated_at is not a geometry column`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			l.Properties = slices.Clone(base.Properties)
			tt.edit(&l)
			c, err := catalog.New(l)
			if err != nil {
				t.Fatalf("New(%s) = %v", tt.name, err)
			}
			err = c.Check(ctx, db.Write)
			if err == nil {
				t.Fatalf("Check(%s) = nil, want an error containing %q", tt.name, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("Check(%s) = %q, want it to contain %q", tt.name, err, w)
				}
			}
		})
	}

	// A column of any geometry type is checked by its rows: a layer of
	// emergency areas over the table of points and polygons is refused as
	// soon as the table holds a point.
	if _, err := db.Write.Exec(ctx, `CREATE TABLE mixed (id bigint PRIMARY KEY, geom geometry(Geometry, 4326));
		INSERT INTO mixed VALUES (1, ST_GeomFromText('MULTIPOLYGON(((9 45, 9.1 45, 9.1 45.1, 9 45)))', 4326))`); err != nil {
		t.Fatal(err)
	}
	mixed := catalog.Layer{ID: "mixed", Table: pgx.Identifier{"public", "mixed"}, IDColumn: "id", IDType: catalog.Integer,
		Geom: "geom", GeomType: "MultiPolygon", MaxZoom: 14}
	c, err := catalog.New(mixed)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(ctx, db.Write); err != nil {
		t.Fatalf("Check(mixed, multipolygons only) = %v, want nil", err)
	}
	if _, err := db.Write.Exec(ctx, `INSERT INTO mixed VALUES (2, ST_SetSRID(ST_MakePoint(9, 45), 4326))`); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(ctx, db.Write); err == nil || !strings.Contains(err.Error(), `layer mixed: "public"."mixed" holds a POINT feature, the layer declares only MultiPolygon`) {
		t.Fatalf("Check(mixed, with a point) = %v, want the point named", err)
	}

	// A layer that is fine is not reported beside one that is not.
	bad := base
	bad.ID, bad.Geom = "comuni-bad", "the_geom"
	c, err = catalog.New(base, bad)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check(ctx, db.Write)
	if err == nil || strings.Contains(err.Error(), "layer comuni:") || !strings.Contains(err.Error(), "layer comuni-bad: ") {
		t.Fatalf("Check(comuni, comuni-bad) = %v, want only comuni-bad reported", err)
	}
}

// TestCheckEmergencyAreas loads the demo's emergency areas, points and
// polygons in one table, and checks that each of the two layers over it
// holds one geometry type: polygons stored as multipolygons, points apart.
func TestCheckEmergencyAreas(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.DiscardHandler), "comuni", "civilprotection"); err != nil {
		t.Fatal(err)
	}
	// A polygon written today is stored as a multipolygon.
	if _, err := db.Write.Exec(ctx, `INSERT INTO cp_emergency_areas (istat_code, kind, name, capacity, geom)
		VALUES ('019035', 'attesa', 'Piazza (test)', 10, ST_GeomFromText('POLYGON((9.68 45.36, 9.69 45.36, 9.69 45.37, 9.68 45.36))', 4326))`); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	rows, err := db.Write.Query(ctx, `SELECT DISTINCT GeometryType(geom) FROM cp_emergency_areas ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if kinds, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if want := []string{"MULTIPOLYGON", "POINT"}; !slices.Equal(kinds, want) {
		t.Fatalf("emergency areas hold %v, want %v (polygons as multipolygons, and some points)", kinds, want)
	}
	all, err := app.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := all.Check(ctx, db.Write); err != nil {
		t.Fatalf("Check(every layer, with the demo areas) = %v", err)
	}
	// The one table as one layer, as it was served: refused.
	areas, _ := all.Layer("emergency-areas")
	whole := *areas
	whole.ID, whole.Table, whole.Edit = "emergency-areas-whole", pgx.Identifier{"public", "cp_emergency_areas"}, nil
	c, err := catalog.New(whole)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(ctx, db.Write); err == nil || !strings.Contains(err.Error(), "holds a POINT feature, the layer declares only MultiPolygon") {
		t.Fatalf("Check(all emergency areas as one layer) = %v, want the points named", err)
	}
}
