-- Lists are read newest first in chunks, `ORDER BY registered_at DESC, id DESC` after a
-- `(registered_at, id)` key: with `id` in the index neither backend sorts, and a chunk is one
-- range scan however long the list. Replaces the index without `id`.
CREATE INDEX petitions_bureau_registered_id ON petitions (bureau_id, registered_at, id);
DROP INDEX petitions_bureau_registered;
