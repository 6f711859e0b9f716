SELECT 1;
été;
