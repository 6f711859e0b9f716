SELECT 'a;b'; SELECT 'it''s;'; SELECT E'it\'s;'; SELECT e'\\'; SELECT "a;b" FROM "x""y;";
SELECT 'C:\'; SELECT x FROM t WHERE name LIKE'a\'; SELECT U&'d\0061t\+000061';
