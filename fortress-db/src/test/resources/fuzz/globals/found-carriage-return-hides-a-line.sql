\connect a\connect b
COPY t TO PROGRAM 'id';
