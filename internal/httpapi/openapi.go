package httpapi

import (
	"net/http"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

// handleOpenAPI serves the OpenAPI 3.0 definition, generated from the
// catalog so that every layer's items path lists its own filters.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
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

func (s *Server) openAPI(base string) obj {
	paths := obj{
		"/":            obj{"get": op("Landing page", "getLandingPage", nil, jsonResponse("links to the API", mediaJSON))},
		"/conformance": obj{"get": op("Conformance classes", "getConformance", nil, jsonResponse("conformance classes", mediaJSON))},
		"/api":         obj{"get": op("This document", "getAPI", nil, jsonResponse("the OpenAPI document", mediaOpenAPI))},
		"/collections": obj{"get": op("Collections", "getCollections", nil, jsonResponse("the collections", mediaJSON))},
		"/healthz":     obj{"get": op("Liveness", "getHealth", nil, obj{"description": "the process is up"})},
		"/readyz":      obj{"get": op("Readiness: the database answers", "getReady", nil, obj{"description": "ready"})},
	}
	for _, l := range s.publicLayers() {
		id := l.ID
		params := []obj{
			queryParam("bbox", "Only features that intersect the box minLon,minLat,maxLon,maxLat (CRS84).",
				obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}),
			queryParam("limit", "Number of features per page.",
				obj{"type": "integer", "minimum": 1, "maximum": features.MaxLimit, "default": features.DefaultLimit}),
			queryParam("offset", "Number of features to skip.",
				obj{"type": "integer", "minimum": 0, "maximum": features.MaxOffset, "default": 0}),
		}
		for _, p := range l.Properties {
			params = append(params, queryParam(p.Name, "Equality filter: "+p.Description, propertySchema(p)))
		}
		geoJSON := jsonResponse("a GeoJSON FeatureCollection", mediaGeoJSON)
		paths["/collections/"+id] = obj{"get": op("Describe "+l.Title, "describe_"+id, nil, jsonResponse("the collection", mediaJSON))}
		paths["/collections/"+id+"/items"] = obj{"get": op("Features of "+l.Title, "items_"+id, params, geoJSON)}
		paths["/collections/"+id+"/items/{featureId}"] = obj{"get": op("One feature of "+l.Title, "item_"+id,
			[]obj{pathParam("featureId", "the feature's "+l.IDColumn, obj{"type": "string"})},
			jsonResponse("a GeoJSON Feature", mediaGeoJSON))}
		paths["/tiles/"+id+".json"] = obj{"get": op("TileJSON of "+l.Title, "tilejson_"+id, nil, jsonResponse("TileJSON 3.0.0", mediaJSON))}
		paths["/tiles/"+id+"/{z}/{x}/{y}.mvt"] = obj{"get": op("Vector tile of "+l.Title, "tile_"+id, []obj{
			pathParam("z", "zoom", obj{"type": "integer", "minimum": l.MinZoom, "maximum": l.MaxZoom}),
			pathParam("x", "column", obj{"type": "integer", "minimum": 0}),
			pathParam("y", "row", obj{"type": "integer", "minimum": 0}),
		}, obj{"description": "a Mapbox Vector Tile", "content": obj{mediaMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}})}
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Atlante",
			"version":     s.cfg.Version,
			"description": "Territorial data of the Cremasco as OGC API – Features and vector tiles.",
		},
		"servers": []obj{{"url": base}},
		"paths":   paths,
	}
}
