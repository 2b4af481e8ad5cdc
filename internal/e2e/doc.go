// Package e2e drives the whole Atlante service with the real clients its
// users have: GDAL's OGC API – Features and MVT drivers (what QGIS uses)
// and the map viewer in headless Chromium. Each test starts the service on
// a real port over a fresh PostGIS database with the demo data loaded
// (internal/testserver). The package has no code of its own, only tests;
// a missing client fails the test with the way to install it, never skips.
package e2e
