"""A foreign CASE 1.1 package, for the import tests and the import journey."""


def foreign_package() -> dict:
    """A small CASE package of another body: a tree of four items without our types or fields, one Chinese
    translation, an alignment outside the package and an association we do not keep."""
    doc_id = "6f1d1b1e-2a2b-4c4d-8e8f-101112131415"
    base = "https://example.org/case/"

    def item(n, statement, code=None, lang=None):
        out = {"identifier": f"00000000-0000-4000-8000-0000000000{n:02d}", "uri": f"{base}items/{n}",
               "fullStatement": statement, "lastChangeDateTime": "2025-03-01T10:00:00Z"}
        if code:
            out["humanCodingScheme"] = code
        if lang:
            out["language"] = lang
        return out

    items = [item(1, "Managing intellectual property", "IP"), item(2, "Patent searching", "IP.1"),
             item(3, "Drafting licence terms", "IP 2 (bad code)"), item(4, "Ethics"),
             item(5, "知识产权管理", "IP", "zh")]

    def assoc(n, kind, origin, dest, title="x"):
        return {"identifier": f"00000000-0000-4000-9000-0000000000{n:02d}", "associationType": kind,
                "uri": f"{base}associations/{n}", "lastChangeDateTime": "2025-03-01T10:00:00Z",
                "originNodeURI": {"title": origin["fullStatement"], "identifier": origin["identifier"],
                                  "uri": origin["uri"]},
                "destinationNodeURI": {"title": title, "identifier": dest["identifier"], "uri": dest["uri"]}}

    doc = {"identifier": doc_id, "uri": f"{base}doc", "creator": "Partner Body", "title": "Partner Framework",
           "lastChangeDateTime": "2025-03-01T10:00:00Z"}
    elsewhere = {"identifier": "ESCO:skill-123", "uri": "http://data.europa.eu/esco/skill/123"}
    return {"CFDocument": doc, "CFItems": items,
            "CFAssociations": [assoc(1, "isChildOf", items[0], doc), assoc(2, "isChildOf", items[1], items[0]),
                               assoc(3, "isChildOf", items[2], items[0]), assoc(4, "isChildOf", items[3], doc),
                               assoc(5, "isTranslationOf", items[4], items[0]),
                               assoc(6, "exactMatchOf", items[1], elsewhere, "Search patents"),
                               assoc(7, "isPeerOf", items[1], items[2])]}
