-- header ; not an end
SELECT 1 -- ; not an end
+ 1; /* /* ; */ still ; a comment */ SELECT 2;
/* trailing */ -- and a line comment without a newline