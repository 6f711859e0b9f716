SELECT 1;
été;S
