"""Reads one Atlante collection with OWSLib in a CRS other than CRS84.

Run by crs_test.go with the system Python (python3-owslib):
    /usr/bin/python3 owslib_crs.py REQUEST.json
REQUEST: {"url": base URL, "collection": id, "crs": OGC URI,
          "bbox": [4 numbers], "bbox-crs": OGC URI}
OWSLib 0.27 knows nothing of Part 2; its collection_items passes crs and
bbox-crs on as query parameters. Prints one JSON object: the features of
the collection in crs, and the ids selected by bbox in bbox-crs.
"""
import json
import sys

from owslib.ogcapi.features import Features


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    api = Features(req["url"], timeout=120)
    fc = api.collection_items(req["collection"], crs=req["crs"], limit=10000)
    out = {"features": [{"id": f["id"], "geometry": f["geometry"]} for f in fc["features"]]}
    fc = api.collection_items(req["collection"], bbox=req["bbox"], limit=10000, **{"bbox-crs": req["bbox-crs"]})
    out["bbox"] = sorted(f["id"] for f in fc["features"])
    json.dump(out, sys.stdout)


main()
