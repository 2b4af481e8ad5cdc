package httpapi

import (
	"errors"
	"fmt"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
)

// errDecoderPanicked stands for a panic of orb's GeoJSON decoder.
var errDecoderPanicked = errors.New("the GeoJSON decoder panicked")

// decodeGeoJSON runs one of orb's GeoJSON decoders on a request body and
// then geo.CheckGeoJSON: orb reads a position given as null, [] or [9.7]
// as zeros (an area would silently reach (0, 0)) and panics on a null
// member of a GeometryCollection. An error of orb's is returned as it is,
// for the caller's message; what CheckGeoJSON finds is Invalid, naming the
// geometry.
func decodeGeoJSON[T any](op string, body []byte, decode func([]byte) (T, error)) (T, error) {
	v, err := recovered(body, decode)
	if err != nil && !errors.Is(err, errDecoderPanicked) {
		return v, err
	}
	if cerr := geo.CheckGeoJSON(body); cerr != nil {
		var zero T
		return zero, &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: cerr.Error(), Err: cerr,
			Fields: []apperr.FieldError{{Field: "geometry", Reason: "malformed"}}}
	}
	if err != nil {
		var zero T
		return zero, apperr.Wrap(op, apperr.Invalid, err, "geometry: malformed GeoJSON")
	}
	return v, nil
}

func recovered[T any](body []byte, decode func([]byte) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errDecoderPanicked, r)
		}
	}()
	return decode(body)
}
