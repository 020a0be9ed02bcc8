"""Each plugin in plugins/, tested through the app."""


async def test_security_headers_are_on_every_response(ds):
    for path in ["/", "/conscience/persons.json", "/-/static/app.css"]:
        response = await ds.client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
