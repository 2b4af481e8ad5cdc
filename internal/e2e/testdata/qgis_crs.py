"""Loads one Atlante collection in QGIS (headless) in a CRS other than CRS84.

Run by crs_test.go with the system Python (python3-qgis):
    /usr/bin/python3 qgis_crs.py REQUEST.json
REQUEST: {"url": base URL, "collection": id, "crs": OGC URI, "authid": "EPSG:n"}
QGIS 3.22's OAPIF provider predates OGC API – Features Part 2 (QGIS 3.30
reads the collection's crs list): it forwards the query of the landing-page
URL (here crs=) to every request and calls the layer EPSG:4326, so the
script assigns the CRS the server answers in. Prints one JSON object: the
layer's validity, provider and CRS, and per feature its id and the vertices
of its geometry as QGIS holds them (x, y).
"""
import json
import os
import sys
from urllib.parse import quote

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsVectorLayer


def load(req):
    url = req["url"] + "/?crs=" + quote(req["crs"], safe=":/")
    uri = f"url='{url}' typename='{req['collection']}' srsname='{req['authid']}' restrictToRequestBBOX='0'"
    layer = QgsVectorLayer(uri, req["collection"], "OAPIF")
    out = {"valid": layer.isValid(), "provider": layer.providerType(), "declared": layer.crs().authid()}
    if not layer.isValid():
        return out
    if layer.crs().authid() != req["authid"]:
        layer.setCrs(QgsCoordinateReferenceSystem(req["authid"]))
    out["crs"] = layer.crs().authid()
    out["features"] = [{"id": f["istat_code"], "vertices": [[v.x(), v.y()] for v in f.geometry().vertices()]}
                       for f in layer.getFeatures()]
    return out


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        # The layer is gone before QGIS exits (a live one crashes exitQgis).
        result = load(req)
    finally:
        app.exitQgis()
    json.dump(result, sys.stdout)


main()
