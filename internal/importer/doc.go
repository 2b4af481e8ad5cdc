// Package importer brings official files into Atlante: it reads them,
// validates every feature, checks and repairs geometries with geo/repair, and
// loads the result in one transaction, so that a bad file changes nothing.
//
// An import has three steps:
//
//  1. A Reader (Open picks one from the file: GeoJSON, a zipped Shapefile or
//     an unzipped .shp with its sidecar files) yields Features one at a time —
//     index, id, properties and an orb.Geometry in the file's CRS — and says
//     which CRS that is (SRID). Readers stream, so files far larger than
//     memory can be read; their errors name the file and the line and column
//     (GeoJSON) or the record (Shapefile).
//  2. A domain mapping step turns Features into the domain's rows and a
//     Report: Importer.Comuni maps to comuni.Comune, checking codes, names
//     and geometries (repaired where safe, otherwise rejected with a reason).
//  3. The domain store loads the rows in one transaction, converting from the
//     file's CRS to EPSG:4326 in PostGIS.
//
// Errors about the input are *apperr.Error of kind Invalid (a malformed or
// unreadable file, an unknown CRS, a row without its code) or Unprocessable
// (geometries rejected under Strict); their message names the file and where
// in it, and is safe to show.
package importer
