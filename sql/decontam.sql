-- Decontamination: evaluation sets registered as word 13-gram hashes, and
-- exports that leave out (or report) documents sharing a gram with them.
\i sql/fixture/corpus.sql

-- An evaluation set read from a table; the column name needs quoting.
CREATE TABLE eval_questions (id int, "Frage Text" text);
INSERT INTO eval_questions VALUES
(1, 'Darf die Gemeinde eine Photovoltaikanlage auf dem Dach eines denkmalgeschützten Rathauses ohne Zustimmung der Denkmalschutzbehörde errichten, wenn die Anlage von der Straße aus nicht sichtbar ist?'),
(2, 'Wann ist eine Anhörung entbehrlich?'),   -- fewer than 13 words: one gram of all of them
(3, NULL);
SELECT clara_register_eval_set('fragen', 'eval_questions'::regclass, 'Frage Text') AS registered;
SELECT name, n, texts, grams, registered_by = current_user AS mine, source FROM clara_eval_sets;

-- Planted: a document quoting 13 consecutive words of question 1 (other
-- case and punctuation), one quoting only 12 of them, one containing
-- question 2 (5 words) in full.
INSERT INTO clara_documents (document_id, title, content, domain, document_type) VALUES
('quote-13', 'Forum', 'Im Forum zur Photovoltaikanlage fragte jemand: EINE Photovoltaikanlage auf dem Dach eines denkmalgeschützten Rathauses ohne Zustimmung der Denkmalschutzbehörde errichten, das sei doch üblich. Die Antwort blieb aus.', 'baurecht', 'forum'),
('quote-12', 'Forum', 'Im Forum zur Photovoltaikanlage fragte jemand: Photovoltaikanlage auf dem Dach eines denkmalgeschützten Rathauses ohne Zustimmung der Denkmalschutzbehörde errichten, das sei doch üblich. Die Antwort blieb aus.', 'baurecht', 'forum'),
('short-q', 'Notiz', 'Zur Photovoltaikanlage notiert: Wann ist eine Anhörung entbehrlich? Das regelt das Verwaltungsverfahrensgesetz.', 'verwaltungsrecht', 'notiz');

-- Without decontaminate all three go out; with it, quote-13 is left out
-- and counted, quote-12 stays. So does short-q: a text of fewer than 13
-- words is one gram of its own length, which only a document of exactly
-- those words shares (docs/training.md#decontamination, limits).
SELECT line::jsonb->>'document_id' AS id
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}') AS line ORDER BY 1;
SELECT line::jsonb->>'document_id' AS id
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                        decontaminate => '{fragen}') AS line ORDER BY 1;
SELECT clara_export_summary()->'removed' AS removed, clara_export_summary()->'documents_written' AS written;

-- report: nothing is left out; every line has metadata.eval_overlap, a
-- number (0 when clean), in jsonb key order.
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->'eval_overlap' AS eval_overlap
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                        decontaminate => '{fragen}', decontaminate_mode => 'report') AS line ORDER BY 1;
SELECT count(*) AS lines, bool_and(jsonb_typeof(line::jsonb->'metadata'->'eval_overlap') = 'number') AS typed,
       bool_and(line::jsonb->'metadata' = (line::jsonb->'metadata')::text::jsonb) AS key_order
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                        decontaminate => '{fragen}', decontaminate_mode => 'report') AS line;
SELECT clara_export_summary()->'removed' AS removed;
SELECT position('"eval_overlap":0,"document_type"' IN line) > 0 AS ordered
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}', decontaminate => '{fragen}',
                        decontaminate_mode => 'report') AS line WHERE line LIKE '%"bau-001"%';
-- With dedup too: both counted, each under its own reason.
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                                                 dedup => 'exact', decontaminate => '{fragen}') AS line;
SELECT clara_export_summary()->'removed' AS removed;
-- An empty list checks nothing.
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                                                 decontaminate => '{}') AS line;

-- Texts given directly, with another gram length; two sets at once.
SELECT clara_register_eval_set('kurz', ARRAY['das sei doch üblich', NULL, ''], 4) AS registered;
SELECT line::jsonb->>'document_id' AS id
FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, search_types => '{keyword}',
                        decontaminate => '{kurz,fragen}') AS line ORDER BY 1;
SELECT clara_export_summary()->'removed' AS removed;

-- Errors.
SELECT clara_register_eval_set('fragen', 'eval_questions'::regclass, 'Frage Text');
DO $$ BEGIN
    PERFORM clara_register_eval_set('fragen', ARRAY['x']);
EXCEPTION WHEN duplicate_object THEN RAISE NOTICE 'duplicate_object (%)', SQLSTATE;
END $$;
SELECT clara_register_eval_set('andere', 'eval_questions'::regclass);          -- no column "text"
SELECT clara_register_eval_set('andere', ARRAY['a b c'], 0);
SELECT clara_register_eval_set('', ARRAY['a b c']);
SELECT clara_register_eval_set(NULL, ARRAY['a b c']);
SELECT count(*) FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, decontaminate => '{fragen,unbekannt}');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaikanlage', 20, 0.0, decontaminate => '{fragen}',
                                        decontaminate_mode => 'mark');
SELECT name FROM clara_eval_sets ORDER BY 1;   -- failed registrations left nothing behind

-- Privileges: the texts are read as the caller; the gram tables are not
-- writable, and only the registering role (or a superuser) drops a set.
CREATE ROLE decontam_user;
GRANT SELECT ON clara_documents TO decontam_user;
CREATE TABLE eval_secret (text text);
INSERT INTO eval_secret VALUES ('geheime Prüfungsfrage mit genau dreizehn Wörtern, die niemand außer dem Prüfungsamt kennen darf');
SET ROLE decontam_user;
SELECT clara_register_eval_set('geheim', 'eval_secret'::regclass);
INSERT INTO clara_eval_grams VALUES ('fragen', 1);
SELECT clara_unregister_eval_set('fragen');
SELECT count(*) AS sets_visible FROM clara_eval_sets;
SELECT clara_register_eval_set('eigene', ARRAY['eine Frage des Nutzers']) ->> 'grams' AS grams;
SELECT clara_unregister_eval_set('eigene') AS dropped;
RESET ROLE;
DROP TABLE eval_secret;
REVOKE ALL ON clara_documents FROM decontam_user;
DROP ROLE decontam_user;

-- Dropping a set drops its grams; dropping it again says false.
SELECT clara_unregister_eval_set('fragen') AS dropped, clara_unregister_eval_set('fragen') AS again;
SELECT count(*) AS grams_left FROM clara_eval_grams WHERE set_name = 'fragen';
SELECT clara_unregister_eval_set('kurz') AS dropped;
DROP TABLE eval_questions;
