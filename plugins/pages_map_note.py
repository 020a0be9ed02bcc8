"""The map says what it draws: how many persons it places, how many it leaves off (known only by their country)."""

from datasette import hookimpl



@hookimpl
def extra_template_vars(template, database, table, datasette):
    if template != "table.html" or database != datasette.get_database().name or table != "persons_map":
        return {}

    async def inner():
        counts = (await datasette.get_database().execute("""
            select count(*) filter (where coordinate_precision = 'city') as city,
                   count(*) filter (where coordinate_precision = 'province') as province,
                   count(*) filter (where coordinate_precision is null or coordinate_precision = 'country') as unplaced
            from persons""")).first()
        return {"map_counts": dict(counts)}

    return inner
