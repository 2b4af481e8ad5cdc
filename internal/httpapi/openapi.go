package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/tiles"
)

// handleOpenAPI serves the OpenAPI 3.0 definition, generated from the
// catalog so that every layer's items path lists its own filters.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.apiPage(w, r, s.openAPI(s.baseURL(r)))
	}
	alternateHeader(w, s.baseURL(r)+"/api?f=html")
	return writeJSON(w, http.StatusOK, mediaOpenAPI, s.openAPI(s.baseURL(r)))
}

type obj = map[string]any

func jsonResponse(desc, media string) obj {
	return obj{"description": desc, "content": obj{media: obj{"schema": obj{"type": "object"}}}}
}

var problemResponses = obj{
	"400": jsonResponse("invalid parameter", "application/problem+json"),
	"404": jsonResponse("not found", "application/problem+json"),
	"500": jsonResponse("server error", "application/problem+json"),
	"503": jsonResponse("database unavailable or query too slow", "application/problem+json"),
}

func withProblems(ok obj) obj {
	out := obj{"200": ok}
	for k, v := range problemResponses {
		out[k] = v
	}
	return out
}

func op(summary, id string, params []obj, ok obj) obj {
	o := obj{"summary": summary, "operationId": id, "responses": withProblems(ok)}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return o
}

func pathParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema, "style": "form", "explode": false}
}

// crsParam is a parameter naming one of the CRSs served (OGC API –
// Features Part 2).
func crsParam(name, desc string) obj {
	return queryParam(name, desc, obj{"type": "string", "format": "uri", "enum": crsURIs(), "default": geo.CRS84.URI()})
}

func propertySchema(p catalog.Property) obj {
	switch p.Type {
	case catalog.Date, catalog.DateTime:
		return obj{"type": "string", "format": string(p.Type)}
	case catalog.String:
		if len(p.Enum) > 0 {
			return obj{"type": "string", "enum": p.Enum}
		}
	}
	return obj{"type": string(p.Type)}
}

// datetimeDoc describes the datetime parameter of a layer's items.
func datetimeDoc(l *catalog.Layer) string {
	const syntax = "An instant (2026-01-31T10:00:00Z, or a date) or an interval start/end, open with .. (2026-01-01T00:00:00Z/..). "
	switch t := l.Temporal; {
	case t == nil:
		return syntax + "This collection has no time: every feature matches."
	case t.Instant != "":
		return syntax + "Only features whose " + t.Instant + " falls in it; features without one match too."
	default:
		return syntax + "Only features whose " + t.Start + "–" + t.End + " interval meets it (a missing end is open)."
	}
}

// formatParam documents the f parameter of a resource that is also a
// page: the JSON names, or html (a browser's Accept chooses html too).
func formatParam(jsonNames ...string) obj {
	return queryParam("f", "Format: "+strings.Join(jsonNames, " or ")+" (the default), or html for a web page "+
		"(also chosen when Accept prefers text/html, as browsers do).", obj{"type": "string", "enum": append(jsonNames, "html")})
}

// withPage adds the text/html answer to a JSON response.
func withPage(resp obj) obj {
	resp["content"].(obj)[mediaHTML] = obj{"schema": obj{"type": "string"}}
	return resp
}

// pageOp is op for a resource that is also a page (see negotiate).
func pageOp(summary, id string, params []obj, ok obj, jsonNames ...string) obj {
	return op(summary, id, append(params, formatParam(jsonNames...)), withPage(ok))
}

func (s *Server) openAPI(base string) obj {
	paths := obj{
		"/":            obj{"get": pageOp("Landing page", "getLandingPage", nil, jsonResponse("links to the API", mediaJSON), "json")},
		"/conformance": obj{"get": pageOp("Conformance classes", "getConformance", nil, jsonResponse("conformance classes", mediaJSON), "json")},
		"/api":         obj{"get": pageOp("This document", "getAPI", nil, jsonResponse("the OpenAPI document", mediaOpenAPI), "json")},
		"/collections": obj{"get": pageOp("Collections", "getCollections", nil, jsonResponse("the collections", mediaJSON), "json")},
		"/tileMatrixSets": obj{"get": op("Tile matrix sets of the tiles (OGC API – Tiles)", "getTileMatrixSetsList", nil,
			jsonResponse("the tile matrix sets", mediaJSON))},
		"/tileMatrixSets/{tileMatrixSetId}": obj{"get": op("A tile matrix set, as the OGC registers it", "getTileMatrixSet",
			[]obj{tileMatrixSetParam}, jsonResponse("the OGC 2D Tile Matrix Set 2.0 definition", mediaJSON))},
		"/healthz": obj{"get": op("Liveness", "getHealth", nil, obj{"description": "the process is up"})},
		"/readyz":  obj{"get": op("Readiness: the database answers", "getReady", nil, obj{"description": "ready"})},
	}
	for _, l := range s.publicLayers() {
		id := l.ID
		params := []obj{
			queryParam("bbox", "Only features that intersect the box minLon,minLat,maxLon,maxLat (CRS84), or in bbox-crs and its axis order.",
				obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}),
			crsParam("bbox-crs", "CRS of bbox (Part 2); default CRS84."),
			crsParam("crs", "CRS of the coordinates returned, in its axis order (Part 2); default CRS84. The Content-Crs header echoes it."),
			queryParam("limit", "Number of features per page; a larger number returns the maximum.",
				obj{"type": "integer", "minimum": 1, "maximum": features.MaxLimit, "default": features.DefaultLimit}),
			queryParam("offset", "Number of features to skip.",
				obj{"type": "integer", "minimum": 0, "maximum": features.MaxOffset, "default": 0}),
			queryParam("cursor", "Where the page starts: the opaque token of a next link, which pages after the previous page's last feature "+
				"at the cost of the first page, whatever the depth (not with offset). After a cursor numberMatched is given only when already counted.",
				obj{"type": "string", "maxLength": 1400, "pattern": "^[A-Za-z0-9_-]+$"}),
		}
		params = append(params, queryParam("datetime", datetimeDoc(l), obj{"type": "string"}))
		params = append(params, filterParams...)
		for _, p := range l.FeatureProperties() {
			params = append(params, queryParam(p.Name, "Equality filter: "+p.Description, propertySchema(p)))
		}
		geoJSON := jsonResponse("a GeoJSON FeatureCollection", mediaGeoJSON)
		paths["/collections/"+id] = obj{"get": pageOp("Describe "+l.Title, "describe_"+id, nil, jsonResponse("the collection", mediaJSON), "json")}
		paths["/collections/"+id+"/items"] = obj{"get": pageOp("Features of "+l.Title+
			" (a page in HTML: "+strconv.Itoa(htmlDefaultLimit)+" features unless limit says otherwise, "+strconv.Itoa(htmlMaxLimit)+" at most)",
			"items_"+id, params, geoJSON, "json", "geojson")}
		paths["/collections/"+id+"/items/{featureId}"] = obj{"get": pageOp("One feature of "+l.Title, "item_"+id,
			[]obj{pathParam("featureId", "the feature's "+l.IDColumn, obj{"type": "string"}),
				crsParam("crs", "CRS of the coordinates returned, in its axis order (Part 2); default CRS84.")},
			jsonResponse("a GeoJSON Feature", mediaGeoJSON), "json", "geojson")}
		if l.Edit != nil {
			s.editOperations(paths, l)
		}
		schema := func(summary, opID string) obj {
			return obj{"get": pageOp(summary, opID+"_"+id, nil, jsonResponse("a JSON Schema (2020-12)", mediaSchema), "json")}
		}
		paths["/collections/"+id+pathSchema] = schema("Schema of the features of "+l.Title+" (OGC API – Features Part 5)", "schema")
		paths["/collections/"+id+pathGeoJSONSpec] = obj{"get": op("JSON Schema of a GeoJSON feature of "+l.Title, "geojson_schema_"+id, nil,
			jsonResponse("a JSON Schema (2020-12)", mediaSchema))}
		paths["/collections/"+id+pathQueryables] = schema("Properties of "+l.Title+" to filter on (Part 3)", "queryables")
		paths["/tiles/"+id+".json"] = obj{"get": op("TileJSON of "+l.Title, "tilejson_"+id, nil, jsonResponse("TileJSON 3.0.0", mediaJSON))}
		paths["/tiles/"+id+"/{z}/{x}/{y}.mvt"] = obj{"get": op("Vector tile of "+l.Title, "tile_"+id, []obj{
			pathParam("z", "zoom", obj{"type": "integer", "minimum": l.MinZoom, "maximum": l.MaxZoom}),
			pathParam("x", "column", obj{"type": "integer", "minimum": 0}),
			pathParam("y", "row", obj{"type": "integer", "minimum": 0}),
		}, obj{"description": "a Mapbox Vector Tile", "content": obj{mediaMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}})}
	}
	s.domainOperations(paths)
	for _, l := range s.publicLayers() {
		ogcTileOperations(paths, l)
	}
	return obj{
		"openapi": "3.0.3",
		"components": obj{"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
			"description": "An API token from `atlante token create`, scoped to comuni."}}},
		"info": obj{
			"title":       "Atlante",
			"version":     s.cfg.Version,
			"description": "Territorial data of the Cremasco as OGC API – Features and vector tiles.",
		},
		"servers": []obj{{"url": base}},
		"paths":   paths,
	}
}

// filterParams are the CQL2 filter parameters of every items path (OGC API
// – Features Part 3). GDAL's OAPIF driver pushes its -where down as a
// filter when filter-lang lists cql-text, the draft's name.
var filterParams = []obj{
	queryParam("filter", "A CQL2 filter on the queryables (/collections/{collectionId}/queryables), "+
		"e.g. severity >= 3 AND S_INTERSECTS(geometry, LINESTRING(9.60 45.30, 9.75 45.42)); it holds together with the other parameters.",
		obj{"type": "string"}),
	queryParam("filter-lang", "The encoding of filter: cql2-text (default) or cql2-json; cql-text is cql2-text as GDAL writes it.",
		obj{"type": "string", "enum": features.FilterLangs, "default": features.LangText}),
	crsParam("filter-crs", "The CRS of the coordinates in filter, in its axis order (Part 2); default CRS84."),
}

// tileMatrixSetParam is {tileMatrixSetId}: WebMercatorQuad is served.
var tileMatrixSetParam = pathParam("tileMatrixSetId", "Identifier of the tile matrix set",
	obj{"type": "string", "enum": []string{tiles.TileMatrixSetID}})

// ogcTileOperations documents a layer's OGC API – Tiles paths, with the
// parameters OGC 20-057 defines and its operationId suffixes
// (/req/oas30/operation-id).
func ogcTileOperations(paths obj, l *catalog.Layer) {
	base := "/collections/" + l.ID + "/tiles"
	var zooms []string
	for z := l.MinZoom; z <= l.MaxZoom; z++ {
		zooms = append(zooms, strconv.Itoa(z))
	}
	paths[base] = obj{"get": pageOp("Vector tilesets of "+l.Title, l.ID+".collection.vector.getTileSetsList", nil,
		jsonResponse("the tilesets", mediaJSON), "json")}
	paths[base+"/{tileMatrixSetId}"] = obj{"get": op("Vector tileset of "+l.Title+": zooms, tile template, layer and attributes",
		l.ID+".collection.vector.getTileSet", []obj{tileMatrixSetParam}, jsonResponse("tileset metadata (OGC 2D TMS 2.0)", mediaJSON))}
	paths[base+"/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = obj{"get": op("Vector tile of "+l.Title,
		l.ID+".collection.vector.getTile", []obj{
			tileMatrixSetParam,
			pathParam("tileMatrix", "Identifier selecting one of the scales defined in the TileMatrixSet and representing the scaleDenominator the tile (the zoom).",
				obj{"type": "string", "enum": zooms}),
			pathParam("tileRow", "Row index of the tile on the selected TileMatrix, from the top: at most its matrixHeight-1 (2^tileMatrix-1).",
				obj{"type": "integer", "minimum": 0}),
			pathParam("tileCol", "Column index of the tile on the selected TileMatrix, from the left: at most its matrixWidth-1 (2^tileMatrix-1).",
				obj{"type": "integer", "minimum": 0}),
		}, obj{"description": "a Mapbox Vector Tile", "content": obj{mediaMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}})}
}

var bearer = []obj{{"bearer": []string{}}}

func withAuth(o obj) obj {
	o["security"] = bearer
	r := o["responses"].(obj)
	for code, desc := range map[string]string{"401": "no or bad token", "403": "outside the token's role or comuni",
		"409": "the object's state forbids it (e.g. a frozen plan)", "412": "If-Match is stale", "422": "invalid geometry"} {
		r[code] = jsonResponse(desc, "application/problem+json")
	}
	return o
}

// editOperations documents the Part 4 writes of an editable layer.
func (s *Server) editOperations(paths obj, l *catalog.Layer) {
	body := obj{"required": true, "content": obj{mediaGeoJSON: obj{"schema": obj{"type": "object"}}}}
	id := []obj{pathParam("featureId", "the feature's "+l.IDColumn, obj{"type": "string"})}
	ifMatch := obj{"name": "If-Match", "in": "header", "required": false, "description": "the ETag of the feature as read", "schema": obj{"type": "string"}}
	items := paths["/collections/"+l.ID+"/items"].(obj)
	create := withAuth(op("Add a feature to "+l.Title, "create_"+l.ID, nil, jsonResponse("the created feature", mediaGeoJSON)))
	create["requestBody"] = body
	create["responses"].(obj)["201"] = create["responses"].(obj)["200"]
	delete(create["responses"].(obj), "200")
	items["post"] = create
	item := paths["/collections/"+l.ID+"/items/{featureId}"].(obj)
	// RFC 7396: a merge patch names the members to change; null clears.
	patch := obj{"required": true, "content": obj{
		"application/merge-patch+json": obj{"schema": obj{"type": "object"}},
		mediaGeoJSON:                   obj{"schema": obj{"type": "object"}},
	}}
	for method, summary := range map[string]string{"put": "Replace", "patch": "Update (JSON merge patch)", "delete": "Delete"} {
		o := withAuth(op(summary+" a feature of "+l.Title, method+"_"+l.ID, append(append([]obj{}, id...), ifMatch), jsonResponse("the feature after the change", mediaGeoJSON)))
		switch method {
		case "put":
			o["requestBody"] = body
		case "patch":
			o["requestBody"] = patch
		default:
			rs := o["responses"].(obj)
			delete(rs, "200")
			rs["204"] = obj{"description": "deleted"}
		}
		item[method] = o
	}
}

// domainDocs summarises every domain endpoint, keyed by "METHOD path" as
// routed; domainOperations walks the router, so an endpoint missing here
// is noticed by the OpenAPI test.
var domainDocs = map[string]string{
	"GET /auth/whoami":                                        "Who the sent token is: name, role, comuni and the actions its role allows there (401 without one; never the secret)",
	"GET /coverage/stats":                                     "Fibre coverage statistics of a comune (?comune=) or a box (?bbox=); ?by=comune, ?f=csv",
	"POST /coverage/stats":                                    "Fibre coverage statistics inside a posted GeoJSON Polygon or MultiPolygon (CRS84; another CRS with ?crs=, axis order of the CRS, or the body's GeoJSON 2008 crs member, x, y)",
	"GET /coverage/search":                                    "Address search as people type: civic numbers, streets and comuni, best first; a street that lacks the number says its range and the nearest (?q=via roma 12 crema)",
	"GET /coverage/address":                                   "The civic number at an address (?comune=&street=&number=&suffix=) with its offers",
	"GET /coverage/nearest":                                   "The nearest civic number to ?lon=&lat= within ?radius= metres, with its offers",
	"GET /coverage/civici/{id}":                               "A civic number with its coverage offers, best first",
	"GET /civil-protection/plans":                             "The civil-protection plans of the comuni and their status",
	"GET /civil-protection/plans/{istat}":                     "A comune's plan with its history",
	"POST /civil-protection/plans/{istat}/submit":             "Submit the plan for validation (token: editor or validator of the comune)",
	"POST /civil-protection/plans/{istat}/validate":           "Validate a submitted plan (token: validator of the comune)",
	"POST /civil-protection/plans/{istat}/return":             "Return a submitted plan with a reason (token: validator of the comune)",
	"POST /civil-protection/plans/{istat}/reopen":             "Open a new version of a validated plan (token: editor or validator of the comune)",
	"GET /civil-protection/crisis-unit/schema":                "JSON Schema of a crisis-unit member: its fields, roles and what a client may write (public: no data)",
	"GET /civil-protection/plans/{istat}/crisis-unit":         "The local crisis unit: personal data (token with read-private on the comune)",
	"POST /civil-protection/plans/{istat}/crisis-unit":        "Add a crisis-unit member (token: editor of the comune)",
	"GET /civil-protection/plans/{istat}/crisis-unit/{id}":    "A crisis-unit member (token with read-private on the comune)",
	"PUT /civil-protection/plans/{istat}/crisis-unit/{id}":    "Replace a crisis-unit member (token: editor of the comune; If-Match)",
	"PATCH /civil-protection/plans/{istat}/crisis-unit/{id}":  "Update a crisis-unit member (token: editor of the comune; If-Match)",
	"DELETE /civil-protection/plans/{istat}/crisis-unit/{id}": "Remove a crisis-unit member (token: editor of the comune; If-Match)",
	"GET /civil-protection/scenarios/{id}/exposure":           "Who and what a risk scenario exposes: civic numbers, buildings, areas, nearest usable areas",
	"GET /energy/communities":                                 "Renewable energy communities with their eligibility and figures",
	"POST /energy/communities":                                "Create a community (token covering its comuni)",
	"GET /energy/communities/{id}":                            "A community with its members and their zones",
	"PATCH /energy/communities/{id}":                          "Update a community (token covering its comuni; If-Match)",
	"DELETE /energy/communities/{id}":                         "Delete a community without members (token covering its comuni; If-Match)",
	"GET /energy/communities/{id}/eligibility":                "Whether a community meets the rules (one primary substation, plants up to 1 MW) and why not",
	"GET /energy/zones/at":                                    "The primary-substation zone at ?lon=&lat= and the communities one could join",
	"GET /energy/comuni/{istat}/figures":                      "Installed kW, members by kind, production and shared-energy estimates of a comune",
}

// domainOperations adds the domain endpoints the router serves.
func (s *Server) domainOperations(paths obj) {
	if s.router == nil {
		return
	}
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		summary, ok := domainDocs[method+" "+route]
		if !ok {
			return nil
		}
		var params []obj
		for _, part := range strings.Split(route, "/") {
			if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
				name := part[1 : len(part)-1]
				params = append(params, pathParam(name, name, obj{"type": "string"}))
			}
		}
		o := op(summary, strings.ToLower(method)+strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(route), params, jsonResponse("see the summary", mediaJSON))
		if method != http.MethodGet {
			o = withAuth(o)
		}
		p, _ := paths[route].(obj)
		if p == nil {
			p = obj{}
			paths[route] = p
		}
		p[strings.ToLower(method)] = o
		return nil
	})
}

// undocumented lists the routes that are neither generated from the
// catalog nor in domainDocs, for the test that keeps the document whole.
func (s *Server) undocumented() []string {
	var out []string
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		generic := route == "/" || route == "/metrics" || strings.HasPrefix(route, "/collections") ||
			strings.HasPrefix(route, "/tiles") || strings.HasPrefix(route, "/tileMatrixSets") || strings.HasPrefix(route, "/viewer") || strings.HasPrefix(route, "/assets") ||
			route == "/api" || route == "/conformance" || route == "/healthz" || route == "/readyz"
		if _, ok := domainDocs[method+" "+route]; !ok && !generic && method != http.MethodHead {
			out = append(out, method+" "+route)
		}
		return nil
	})
	return out
}
