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
// Coverage data comes in as rows rather than features: Importer.Civici
// reads the ANNCSU address register and Importer.Coverage Atlante's
// coverage file (CSV, plain or zipped: UTF-8 with or without BOM, ";" or
// ",", columns by name in any case). Each row is checked and mapped as it
// is read and streams straight into the coverage store's COPY-based loader,
// so a million rows never sit in memory; a row with a problem is left out
// and reported with its line, column and reason (RowReport), and a
// file-level problem (missing column, not UTF-8, malformed quoting) aborts
// the load's transaction wherever in the file it is. Importer.Routes reads
// network routes like comuni (Reader, geo/repair), converting them to
// EPSG:4326 in PostGIS.
//
// Errors about the input are *apperr.Error of kind Invalid (a malformed or
// unreadable file, an unknown CRS, a row without its code) or Unprocessable
// (geometries rejected under Strict); their message names the file and where
// in it, and is safe to show.
package importer
