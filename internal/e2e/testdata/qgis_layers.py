"""Loads Atlante's collections in QGIS (headless) and reports what QGIS got.

Run by qgis_test.go with the system Python (python3-qgis):
    /usr/bin/python3 qgis_layers.py REQUEST.json
REQUEST: {"url": base URL, "collections": [ids], "values": {id: [fields]},
          "tiles": {"url": xyz template, "layer": MVT layer, "field": name,
                    "value": v, "inside": [lon, lat], "outside": [lon, lat]}}
Prints one JSON object: per collection, whether QGIS opened it (provider
OAPIF), its geometry type, feature count, the features it iterated, its
fields and their types, and the values asked for; and for the vector
tiles, whether the layer opened and the colour QGIS drew at two points.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFillSymbol,
                       QgsMapRendererSequentialJob, QgsMapSettings, QgsPointXY, QgsProject, QgsRectangle,
                       QgsVectorLayer, QgsVectorTileBasicRenderer, QgsVectorTileBasicRendererStyle,
                       QgsVectorTileLayer, QgsWkbTypes)
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor


def plain(v):
    """A QGIS attribute as JSON: NULL as None, dates as ISO 8601."""
    if v is None or (hasattr(v, "isNull") and v.isNull()):
        return None
    if hasattr(v, "toString"):
        return v.toString(Qt.ISODateWithMs)
    return v


def collection(base, cid, wanted):
    uri = f"url='{base}' typename='{cid}' restrictToRequestBBOX='0'"
    layer = QgsVectorLayer(uri, cid, "OAPIF")
    out = {"valid": layer.isValid(), "provider": layer.providerType()}
    if not layer.isValid():
        return out
    out["geometry"] = QgsWkbTypes.displayString(layer.wkbType())
    out["count"] = layer.featureCount()
    out["fields"] = [[f.name(), f.typeName()] for f in layer.fields()]
    values, n = [], 0
    for feature in layer.getFeatures():
        n += 1
        if wanted:
            values.append({k: plain(feature[k]) for k in wanted})
    out["iterated"] = n
    out["values"] = values
    return out


def tiles(spec):
    layer = QgsVectorTileLayer(f"type=xyz&url={spec['url']}&zmin=0&zmax=14", spec["layer"])
    out = {"valid": layer.isValid()}
    if not layer.isValid():
        return out
    style = QgsVectorTileBasicRendererStyle(spec["layer"], spec["layer"], QgsWkbTypes.PolygonGeometry)
    style.setSymbol(QgsFillSymbol.createSimple({"color": "255,0,0,255", "outline_style": "no"}))
    style.setFilterExpression(f"\"{spec['field']}\" = '{spec['value']}'")
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles([style])
    layer.setRenderer(renderer)
    wgs84, merc = QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:3857")
    ct = QgsCoordinateTransform(wgs84, merc, QgsProject.instance())
    (x0, y0), (x1, y1) = spec["inside"], spec["outside"]
    box = QgsRectangle(min(x0, x1) - 0.02, min(y0, y1) - 0.02, max(x0, x1) + 0.02, max(y0, y1) + 0.02)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(merc)
    settings.setExtent(ct.transformBoundingBox(box))
    settings.setOutputSize(QSize(512, 512))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    m2p = settings.mapToPixel()

    def colour(lon, lat):
        p = m2p.transform(ct.transform(QgsPointXY(lon, lat)))
        c = QColor(image.pixel(int(p.x()), int(p.y())))
        return [c.red(), c.green(), c.blue()]

    out["errors"] = [e.message for e in job.errors()]
    out["inside"] = colour(x0, y0)
    out["outside"] = colour(x1, y1)
    return out


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = {"layers": {c: collection(req["url"], c, req.get("values", {}).get(c)) for c in req["collections"]}}
        if "tiles" in req:
            result["tiles"] = tiles(req["tiles"])
    finally:
        app.exitQgis()
    json.dump(result, sys.stdout)


main()
