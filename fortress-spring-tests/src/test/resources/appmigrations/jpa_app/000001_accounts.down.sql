DROP TABLE notes; DROP SEQUENCE note_seq; DROP TABLE accounts;
