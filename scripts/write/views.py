"""Views for the common joins. Part of the public schema, like the tables."""

VIEWS = {
    # One row per person placed to a city or a province; "popup" is what datasette-cluster-map shows, saying how
    # precisely the person is placed. Persons known only by their country are left off: a marker at the country's
    # centroid would look like a place.
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
    # A figure a source reports beside what this dataset counts for the same thing (NULL: not countable); persons
    # withheld at the level "counts only" are counted where their country and status are enough.
    "statistics_compared": """
        WITH counted AS (
            SELECT country, status, sex, count(*) AS persons FROM persons
            WHERE country IN (SELECT country FROM statistics) GROUP BY country, status, sex
            UNION ALL SELECT country, status, NULL, persons FROM withheld_counts
        )
        SELECT st.id, st.source_id, st.reported_by, st.campaign_id, st.metric, st.country,
               st.as_of, st.as_of_precision, st.value AS reported,
               CASE st.metric
                   WHEN 'signatories' THEN (SELECT count(*) FROM signatures s WHERE s.campaign_id = st.campaign_id)
                   WHEN 'political prisoners' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status = 'detained')
                   WHEN 'activists detained' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status = 'detained')
                   WHEN 'detained women' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status = 'detained' AND c.sex = 'female')
                   WHEN 'activists at risk' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status IN ('detained', 'at risk'))
                   WHEN 'activists harassed' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status = 'at risk')
                   WHEN 'prisoners of conscience' THEN (SELECT ifnull(sum(c.persons), 0) FROM counted c
                       WHERE c.country = st.country AND c.status = 'detained')
                   WHEN 'pre-trial detainees' THEN (SELECT count(*) FROM persons p
                       WHERE p.country = st.country AND p.status = 'detained' AND NOT EXISTS (
                           SELECT 1 FROM detentions d WHERE d.person_id = p.id AND d.sentenced_on IS NOT NULL))
                   WHEN 'detained Kinh' THEN (SELECT count(*) FROM persons p
                       WHERE p.country = st.country AND p.status = 'detained' AND p.ethnicity = 'Kinh')
                   WHEN 'detained Hmong' THEN (SELECT count(*) FROM persons p
                       WHERE p.country = st.country AND p.status = 'detained' AND p.ethnicity = 'Hmong')
                   WHEN 'detained Khmer Krom' THEN (SELECT count(*) FROM persons p
                       WHERE p.country = st.country AND p.status = 'detained' AND p.ethnicity = 'Khmer Krom')
                   WHEN 'media professionals arrested' THEN (SELECT count(DISTINCT p.id) FROM persons p
                       JOIN detentions d ON d.person_id = p.id
                       WHERE p.country = st.country AND d.detained_year = CAST(substr(st.as_of, 1, 4) AS INTEGER)
                         AND EXISTS (SELECT 1 FROM json_each(p.categories) c WHERE c.value = 'journalist/blogger'))
                   WHEN 'reprisal cases' THEN (SELECT count(*) FROM cases)
                   WHEN 'states with reprisal cases' THEN (SELECT count(DISTINCT state) FROM cases)
               END AS dataset_count,
               m.dataset_count AS dataset_counts_what,
               st.upstream_ref
        FROM statistics st
        JOIN metrics m ON m.id = st.metric""",
}
