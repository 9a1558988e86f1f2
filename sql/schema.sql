-- The corpus table, its derived columns, and the fixture every later file uses.
\pset null '(null)'

SELECT extname, extversion FROM pg_extension WHERE extname = 'clara';

SELECT column_name, data_type
FROM information_schema.columns
WHERE table_name = 'clara_documents'
ORDER BY ordinal_position;

-- Fixture: German and English administrative-law prose, plus documents of
-- poor quality (stub, repeated line, random characters, boilerplate).
INSERT INTO clara_documents (document_id, title, content, domain, document_type, source, created_at, metadata) VALUES
('bau-001', 'Photovoltaikanlage auf dem Dach eines Wohnhauses',
 E'Die Errichtung einer Photovoltaikanlage auf dem Dach eines Wohnhauses ist nach der Landesbauordnung in der Regel verfahrensfrei. Die Bauaufsichtsbehörde prüft jedoch, ob Vorschriften des Denkmalschutzes oder ein Bebauungsplan entgegenstehen.\n\nIm vorliegenden Fall hat die Behörde die Genehmigung erteilt, weil die Dachanlage die Abstandsflächen einhält und das Ortsbild nicht beeinträchtigt wird. Der Widerspruch des Nachbarn wurde zurückgewiesen.',
 'baurecht', 'bescheid', 'kommune-musterstadt', '2023-04-01', '{"aktenzeichen": "B-12/23", "pages": 3}'),
('bau-002', 'Dachanlage im Denkmalbereich',
 E'Das Verwaltungsgericht hatte darüber zu entscheiden, ob eine Dachanlage zur Nutzung der Sonnenenergie auf einem denkmalgeschützten Gebäude zulässig ist. Die Kammer stellte fest, dass der Denkmalschutz bei der Abwägung ein hohes Gewicht hat, die Belange des Klimaschutzes aber ebenfalls zu berücksichtigen sind.\n\nDie Klage hatte teilweise Erfolg, weil die Behörde ihr Ermessen nicht fehlerfrei ausgeübt hatte und die Photovoltaik auf der straßenabgewandten Seite des Daches kaum sichtbar wäre.',
 'baurecht', 'urteil', 'vg-musterstadt', '2022-11-15', '{"aktenzeichen": "4 K 311/22", "gericht": "VG Musterstadt"}'),
('ver-001', 'Anhörung vor Erlass eines Verwaltungsakts',
 E'Vor dem Erlass eines belastenden Verwaltungsakts ist dem Beteiligten Gelegenheit zu geben, sich zu den für die Entscheidung erheblichen Tatsachen zu äußern. Die Anhörung dient dem rechtlichen Gehör und soll verhindern, dass die Behörde ohne Kenntnis aller Umstände entscheidet.\n\nUnterbleibt die Anhörung, ist der Verwaltungsakt zwar formell rechtswidrig, der Fehler kann aber bis zum Abschluss der letzten Tatsacheninstanz eines verwaltungsgerichtlichen Verfahrens geheilt werden.',
 'verwaltungsrecht', 'kommentar', 'kommentar-vwvfg', '2021-06-30', '{"paragraph": "28 VwVfG"}'),
('ver-002', 'Verwaltungsrecht und Photovoltaik: Einspeisung und Genehmigung',
 E'Im Verwaltungsrecht stellt sich bei Photovoltaik-Freiflächenanlagen regelmäßig die Frage, welche Behörde zuständig ist und ob eine Baugenehmigung erforderlich ist. Die Gemeinde kann durch einen Bebauungsplan die planungsrechtlichen Voraussetzungen schaffen.\n\nDie Einspeisung des erzeugten Stroms richtet sich dagegen nach dem Energiewirtschaftsrecht und ist nicht Gegenstand des Baugenehmigungsverfahrens.',
 'verwaltungsrecht', 'kommentar', 'kommentar-baugb', '2024-02-10', '{"paragraph": "35 BauGB", "pages": 12}'),
('ene-001', 'Einspeisevergütung für Solaranlagen',
 E'Betreiber von Anlagen zur Erzeugung von Strom aus solarer Strahlungsenergie haben gegenüber dem Netzbetreiber einen Anspruch auf Zahlung einer Marktprämie oder Einspeisevergütung. Die Höhe der Vergütung hängt vom Zeitpunkt der Inbetriebnahme und von der installierten Leistung ab.\n\nDer Netzbetreiber ist verpflichtet, die Anlage unverzüglich vorrangig an sein Netz anzuschließen.',
 'energierecht', 'gesetz', 'bund', '2023-01-01', '{"paragraph": "21 EEG"}'),
('eng-001', 'Solar panels on residential roofs',
 E'The directive requires member states to ensure that permit-granting procedures for solar energy equipment on existing buildings do not exceed three months. Small installations below a capacity threshold should only require a simple notification to the grid operator.\n\nNational authorities remain responsible for the protection of cultural heritage, but they must give reasons when they refuse a permit for a rooftop installation.',
 'energierecht', 'gesetz', 'eu', '2023-10-18', '{"celex": "32023L2413"}'),
('dup-001', 'Photovoltaikanlage auf dem Dach eines Wohnhauses',
 E'Die Errichtung einer Photovoltaikanlage auf dem Dach eines Wohnhauses ist nach der Landesbauordnung in der Regel verfahrensfrei. Die Bauaufsichtsbehörde prüft jedoch, ob Vorschriften des Denkmalschutzes oder ein Bebauungsplan entgegenstehen.\n\nIm vorliegenden Fall hat die Behörde die Genehmigung erteilt, weil die Dachanlage die Abstandsflächen einhält und das Ortsbild nicht beeinträchtigt wird. Der Widerspruch des Nachbarn wurde zurückgewiesen.',
 'baurecht', 'bescheid', 'kommune-beispieldorf', '2023-04-02', '{"aktenzeichen": "B-13/23", "pages": 3}'),
('stub-001', NULL, 'Photovoltaik Dach Genehmigung siehe Anlage', NULL, NULL, NULL, NULL, '{}'),
('rep-001', 'Photovoltaik', repeat(E'Photovoltaik Photovoltaik Dachanlage kaufen jetzt!\n', 200), 'energierecht', 'werbung', 'spam', '2020-01-01', '{}'),
('gar-001', 'x', 'q8#Zk!2@pv0%$Lm&^*Qw9~Xr7|Tb[Photovoltaik]4Nc{}Ys<>3Jd;:Hg5/Vf6\\Ue8=Oa1+Ii0', NULL, NULL, 'scraper', '2020-01-01', '{}'),
('boi-001', 'Impressum',
 E'Impressum\nDatenschutz\nCookie-Einstellungen\nAlle Rechte vorbehalten\nSeite 1 von 3\nJavaScript ist deaktiviert\nZum Newsletter anmelden\nHier klicken für Photovoltaik Angebote',
 'baurecht', 'webseite', 'web', '2021-01-01', '{}');

SELECT document_id, doc_key > 0 AS has_key, doc_length, length(content_hash) AS hash_bytes,
       cardinality(term_tfs) = length(tsv) AS tfs_match_lexemes,
       quality_score BETWEEN 0 AND 1 AS score_in_range,
       quality_signals ? 'word_count' AS has_signals
FROM clara_documents ORDER BY document_id;

-- The full-text vector is built by the extension: it must read back as itself.
SELECT bool_and(tsv::text::tsvector = tsv) AS tsv_roundtrip FROM clara_documents;

-- Title words carry weight A in the full-text vector, content words D.
SELECT ts_filter(tsv, '{a}') AS title_lexemes FROM clara_documents WHERE document_id = 'bau-002';

-- Corpus statistics follow the rows.
SELECT n_docs, total_length = (SELECT sum(doc_length) FROM clara_documents) AS length_ok, dead_postings
FROM clara_corpus;
SELECT count(*) = (SELECT count(DISTINCT l) FROM clara_documents, unnest(tsv) u(l)) AS one_df_per_term,
       bool_and(df = (SELECT count(*) FROM clara_documents WHERE tsvector_to_array(tsv) @> ARRAY[term]))
           AS df_exact
FROM clara_terms WHERE df > 0;

-- A metadata-only update keeps the document's key and postings.
SELECT doc_key AS key_before FROM clara_documents WHERE document_id = 'ver-001' \gset
UPDATE clara_documents SET metadata = metadata || '{"pages": 7}' WHERE document_id = 'ver-001';
SELECT doc_key = :key_before AS same_key FROM clara_documents WHERE document_id = 'ver-001';
SELECT dead_postings FROM clara_corpus;

-- Derived columns are not the caller's to set.
UPDATE clara_documents SET quality_score = 0.99, doc_length = 1 WHERE document_id = 'ver-001';
SELECT quality_score <> 0.99 AS recomputed, doc_length > 1 AS length_kept FROM clara_documents WHERE document_id = 'ver-001';

-- Non-object metadata is refused.
\set VERBOSITY terse
INSERT INTO clara_documents (document_id, content, metadata) VALUES ('bad', 'text', '[1,2]');
-- Empty ids are refused.
INSERT INTO clara_documents (document_id, content) VALUES ('', 'text');
\set VERBOSITY default

-- pg_dump keeps the corpus rows.
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'clara' ORDER BY 1;
