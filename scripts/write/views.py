"""Views for the common joins. Part of the public schema, like the tables."""

# Views whose rows are written as a table, with these indexes: worked out per request, a feed took 1-2 s at a
# million persons, over the one-second limit; walking an index by date it takes milliseconds.
WRITTEN_AS_TABLES = {"news_facts": ("kind, date DESC, id", "date DESC, id",  # the feeds, for every country
                                    "country, kind, date DESC, id", "country, date DESC, id")}  # for one

VIEWS = {
    # Persons placed to a city or a province, "popup" (datasette-cluster-map's) saying how precisely; not those known
    # only by their country: a marker at the country's centroid would look like a place.
    "persons_map": """
        SELECT p.id, p.name, p.name_native, p.status, p.country, p.categories, p.sex,
               p.latitude, p.longitude, p.coordinate_precision,
               json_object(
                   'title', p.name || CASE WHEN p.name_native IS NOT NULL AND p.name_native != p.name
                                           THEN ' (' || p.name_native || ')' ELSE '' END,
                   'description', s.label || coalesce(' as of ' || p.status_as_of, '') || ' · ' || c.name
                       || coalesce(' · ' || p.place, '')
                       || CASE p.coordinate_precision WHEN 'province' THEN ' (drawn at the middle of the province)'
                                                      ELSE ' (drawn at the city)' END,
                   'link', '/person/' || p.id
               ) AS popup
        FROM persons p
        JOIN statuses s ON s.id = p.status
        JOIN countries c ON c.iso2 = p.country
        WHERE p.latitude IS NOT NULL AND p.coordinate_precision IN ('city', 'province')""",
    # Each charge with itself and the article that replaced it or that it replaced.
    "charge_equivalents": """
        SELECT id AS charge_id, id AS equivalent_id FROM charges
        UNION SELECT id, replaced_by FROM charges WHERE replaced_by IS NOT NULL
        UNION SELECT replaced_by, id FROM charges WHERE replaced_by IS NOT NULL""",
    "person_charges": """
        SELECT d.person_id, p.name AS person_name, p.status, p.country, d.id AS detention_id,
               d.kind AS detention_kind, d.detained_on, d.detained_year, d.sentenced_on,
               dc.charge_id, ch.law, ch.article, ch.title_en, dc.charge_as_written, ch.replaced_by,
               dc.source_id, dc.upstream_ref
        FROM detention_charges dc
        JOIN detentions d ON d.id = dc.detention_id
        JOIN persons p ON p.id = d.person_id
        JOIN charges ch ON ch.id = dc.charge_id""",
    "signatories": """
        SELECT s.campaign_id, c.title AS campaign_title, s.position, s.name_as_written,
               s.organization_id, o.name AS organization_name, o.country, s.source_id, s.upstream_ref
        FROM signatures s
        JOIN campaigns c ON c.id = s.campaign_id
        JOIN organizations o ON o.id = s.organization_id""",
    "campaign_signatory_counts": """
        SELECT c.id AS campaign_id, c.title, c.kind,
               (SELECT count(*) FROM signatures s WHERE s.campaign_id = c.id) AS named_signatories,
               (SELECT value FROM statistics st WHERE st.campaign_id = c.id AND st.metric = 'signatories')
                   AS reported_signatories,
               (SELECT value FROM statistics st WHERE st.campaign_id = c.id AND st.metric = 'anonymous signatories')
                   AS reported_anonymous
        FROM campaigns c""",
    "reprisal_mechanisms": """
        SELECT r.id AS reprisal_id, r.case_id, r.person_id, r.organization_id, r.state,
               m.id AS un_mechanism, m.name AS mechanism_name, m.kind AS mechanism_kind, r.date
        FROM reprisals r, json_each(r.un_mechanisms) j
        JOIN un_mechanisms m ON m.id = j.value""",
    # The feeds' entries (metadata.yml's feed_ queries): arrests and releases (one per detention as scripts/derive
    # groups them) and dated events at the source's precision, with the release that added each (the first whose
    # changes record it, else the first): a feed stamps an entry with its release's date, never a day not given.
    "news_facts": """
        WITH first AS (SELECT min(released_on) AS released_on FROM releases)
        SELECT 'arrest:' || d.id AS id, 'arrest' AS kind, d.detained_on AS date,
               d.detained_on_precision AS date_precision, d.person_id, NULL AS organization_id, NULL AS case_id,
               p.name AS subject, p.country, 'detained' AS what, 'Place: ' || d.place AS description, d.source_id,
               d.upstream_ref,
               coalesce((SELECT min(c.released_on) FROM changes c WHERE c.change_type = 'new detention'
                         AND c.person_id = d.person_id AND c.new_value IS d.detained_on),
                        (SELECT released_on FROM first)) AS added_in
        FROM detentions d JOIN persons p ON p.id = d.person_id
        WHERE d.detained_on IS NOT NULL AND d.id = d.same_detention
        UNION ALL
        SELECT 'release:' || d.id, 'release', d.released_on, d.released_on_precision, d.person_id, NULL, NULL,
               p.name, p.country, 'released', 'Place: ' || d.place, d.source_id, d.upstream_ref,
               coalesce((SELECT min(c.released_on) FROM changes c WHERE c.change_type = 'new detention'
                         AND c.person_id = d.person_id AND c.new_value IS d.detained_on),
                        (SELECT released_on FROM first))
        FROM detentions d JOIN persons p ON p.id = d.person_id
        WHERE d.released_on IS NOT NULL AND d.id = d.same_detention
        UNION ALL
        SELECT 'event:' || e.id, 'event', e.date, e.date_precision, e.person_id, e.organization_id, e.case_id,
               coalesce(p.name, o.name, k.title), coalesce(p.country, o.country, k.state), e.event_type,
               e.description, e.source_id, e.upstream_ref,
               coalesce((SELECT min(c.released_on) FROM changes c WHERE c.change_type = 'new event'
                         AND c.new_value = e.id), (SELECT released_on FROM first))
        FROM events e
        LEFT JOIN persons p ON p.id = e.person_id
        LEFT JOIN organizations o ON o.id = e.organization_id
        LEFT JOIN cases k ON k.id = e.case_id
        WHERE e.date IS NOT NULL""",
    "news": """
        SELECT f.id, f.kind, f.date, f.date_precision, f.subject || ' ' || f.what || ', ' || f.date AS headline,
               f.subject || ' ' || f.what || ', ' || f.date || ' (' || coalesce(CASE f.date_precision
                   WHEN 'day' THEN 'to the day' WHEN 'month' THEN 'to the month' WHEN 'year' THEN 'to the year'
                   END || ', ', '') || 'as the source gives it).'
                   || coalesce(' ' || rtrim(f.description, '.') || '.', '') || ' Source: ' || f.source_id || ', ' || f.upstream_ref
                   || '. Added to the dataset in release ' || r.id || '.' AS summary,
               f.person_id, f.organization_id, f.case_id, f.country, f.description, f.source_id, f.upstream_ref,
               f.added_in, r.id AS release_id,
               CASE WHEN f.person_id IS NOT NULL THEN '/person/' || f.person_id
                    WHEN f.organization_id IS NOT NULL THEN '/organization/' || f.organization_id
                    ELSE '/conscience/cases/' || f.case_id END AS path
        FROM news_facts f JOIN releases r ON r.released_on = f.added_in""",
    # A source's figure beside what this dataset counts of the same thing (NULL: not countable); persons withheld as
    # "counts only" count where country and status suffice (`by_status`: statuses and sex of its country's persons).
    "statistics_compared": """
        WITH counted AS (
            SELECT country, status, sex, count(*) AS persons FROM persons
            WHERE country IN (SELECT country FROM statistics) GROUP BY country, status, sex
            UNION ALL SELECT country, status, NULL, persons FROM withheld_counts
        ),
        by_status (metric, status, sex) AS (VALUES
            ('political prisoners', 'detained', NULL), ('activists detained', 'detained', NULL),
            ('prisoners of conscience', 'detained', NULL), ('detained women', 'detained', 'female'),
            ('activists at risk', 'detained', NULL), ('activists at risk', 'at risk', NULL),
            ('activists harassed', 'at risk', NULL))
        SELECT st.id, st.source_id, st.reported_by, st.campaign_id, st.metric, st.country,
               st.as_of, st.as_of_precision, st.value AS reported,
               CASE
                   WHEN st.metric IN (SELECT metric FROM by_status) THEN (SELECT ifnull(sum(c.persons), 0)
                       FROM counted c JOIN by_status b ON b.status = c.status AND (b.sex IS NULL OR b.sex = c.sex)
                       WHERE b.metric = st.metric AND c.country = st.country)
                   WHEN st.metric = 'signatories' THEN (SELECT count(*) FROM signatures s
                       WHERE s.campaign_id = st.campaign_id)
                   WHEN st.metric = 'pre-trial detainees' THEN (SELECT count(*) FROM persons p
                       WHERE p.country = st.country AND p.status = 'detained' AND NOT EXISTS (
                           SELECT 1 FROM detentions d WHERE d.person_id = p.id AND d.sentenced_on IS NOT NULL))
                   WHEN st.metric IN ('detained Kinh', 'detained Hmong', 'detained Khmer Krom') THEN (SELECT count(*)
                       FROM persons p WHERE p.country = st.country AND p.status = 'detained'
                       AND 'detained ' || p.ethnicity = st.metric)
                   WHEN st.metric = 'media professionals arrested' THEN (SELECT count(DISTINCT p.id) FROM persons p
                       JOIN detentions d ON d.person_id = p.id
                       WHERE p.country = st.country AND d.detained_year = CAST(substr(st.as_of, 1, 4) AS INTEGER)
                         AND EXISTS (SELECT 1 FROM json_each(p.categories) c WHERE c.value = 'journalist/blogger'))
                   WHEN st.metric = 'reprisal cases' THEN (SELECT count(*) FROM cases)
                   WHEN st.metric = 'states with reprisal cases' THEN (SELECT count(DISTINCT state) FROM cases)
               END AS dataset_count,
               m.dataset_count AS dataset_counts_what,
               st.upstream_ref
        FROM statistics st
        JOIN metrics m ON m.id = st.metric""",
}
