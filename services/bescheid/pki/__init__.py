"""The test PKI of the bescheid service: root CA, authority seals (QSealC profile), TSA, CRL and OCSP."""
