"""Reads Atlante with OWSLib's OGC API – Features client and reports it.

Run by owslib_test.go with the system Python (python3-owslib):
    /usr/bin/python3 owslib_client.py REQUEST.json
REQUEST: {"url": base URL, "page": {"collection": id, "limit": n},
          "datetime": {"collection": id, "value": interval},
          "big": {"collection": id, "limit": n}}
Prints one JSON object: the feature collections OWSLib lists, the
queryables of each, the ids read by paging through one collection with
limit and offset, the numberMatched of a datetime query, and what a page
larger than the maximum returned.
"""
import json
import sys

from owslib.ogcapi.features import Features


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    api = Features(req["url"], timeout=120)
    out = {"collections": api.feature_collections(), "queryables": {}}
    for cid in out["collections"]:
        q = api.collection_queryables(cid)
        out["queryables"][cid] = {"id": q.get("$id"), "properties": list(q.get("properties", {}))}

    page = req["page"]
    ids, offset, pages, matched = [], 0, 0, None
    while True:
        fc = api.collection_items(page["collection"], limit=page["limit"], offset=offset)
        pages += 1
        matched = fc["numberMatched"]
        ids += [f["id"] for f in fc["features"]]
        if fc["numberReturned"] < page["limit"] or pages > 1000:
            break
        offset += fc["numberReturned"]
    out["paged"] = {"ids": ids, "pages": pages, "numberMatched": matched}

    dt = req["datetime"]
    fc = api.collection_items(dt["collection"], datetime=dt["value"], limit=10000)
    out["datetime"] = {"numberMatched": fc["numberMatched"], "updated_at": [f["properties"]["updated_at"] for f in fc["features"]]}

    big = req["big"]
    fc = api.collection_items(big["collection"], limit=big["limit"])
    nxt = [l["href"] for l in fc["links"] if l["rel"] == "next"]
    out["big"] = {"numberReturned": fc["numberReturned"], "features": len(fc["features"]),
                  "numberMatched": fc["numberMatched"], "next": nxt[0] if nxt else None}
    json.dump(out, sys.stdout)


main()
