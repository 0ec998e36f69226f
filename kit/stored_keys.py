"""Loading the private keys a service generated itself and keeps in its own database.

``load_pem_private_key`` checks an RSA key's mathematical consistency on every load: 98 ms for RSA-3072, 222 ms
for RSA-4096 on the reference machine. That check guards against keys from untrusted sources; these keys were
made by the service and written only by it, and loading a dozen of them made every start about 1.5 s slower.
"""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


def load_stored_private_key(pem: bytes) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
