-- cSELECT 1;
