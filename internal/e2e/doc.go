// Package e2e drives the whole Atlante service with the real clients its
// users have: QGIS (its OAPIF provider and vector tiles, headless, through
// Debian's python3-qgis), GDAL's OGC API – Features and MVT drivers,
// OWSLib, and the map viewer in headless Chromium. Each test starts the
// service on a real port over a fresh PostGIS database with the demo data
// loaded (internal/testserver) and compares what the client received with
// the server and the catalog. The package has no code of its own, only
// tests and the client scripts in testdata; a missing client fails the
// test with the way to install it, never skips.
package e2e
