"""The root of every error Pentameter raises, and the whole tree drawn in one place.

A caller that only wants to know "did Pentameter refuse this?" catches :class:`PentameterError`;
one that acts on a package's refusals catches that package's family; one that acts per failure
catches the leaf. Leaves marked (KeyError) are failed lookups and also derive from
:class:`NotFound`, a ``KeyError``. This package sits below every product package (it imports
nothing), so each of them can put its family under the root without breaking the dependency
direction.

::

    PentameterError
    ├── NotFound                             a failed lookup, also a KeyError (the leaves so marked)
    ├── SchemasError                         schemas.exceptions: the contract refused something
    │   ├── CatalogueError                   the catalogue could not be built or queried
    │   │   ├── CatalogueFileError           catalogue.yaml or an .avsc file is malformed
    │   │   ├── SchemaDefinitionError        a schema breaks the house rules (no doc, unknown mark)
    │   │   ├── UnknownSchema                no schema with that name / version (or no sample)
    │   │   │   └── UnknownFingerprint       no schema with that fingerprint (also a WireError)
    │   │   ├── FingerprintMismatch          a schema document's fingerprint does not match
    │   │   ├── IncompatibleSchema           registration refused: breaks the compatibility mode
    │   │   └── UnknownFieldPath             a field path that the schema does not have
    │   ├── SchemaNameError                  an unknown or twice-defined Avro name while expanding
    │   ├── GovernanceMessageError           a governance-topic message cannot be read
    │   ├── WireError                        single-object encoding failed
    │   │   ├── NotSingleObjectEncoded       bytes do not start with the C3 01 marker
    │   │   ├── UnknownFingerprint           (see above)
    │   │   ├── UndecodableBody              the Avro body is truncated, corrupt or too long
    │   │   ├── IncompatibleReader           the reader schema cannot read the writer's data
    │   │   └── UnencodableRecord            the record does not fit its schema
    │   ├── ConversionUnsure                 the compiled schema walk hands a value to the interpreted one
    │   ├── RecordInvalid                    a record breaks its schema or the domain rules
    │   └── ProvenanceError                  schemas.provenance: a record's origin is not proven
    │       ├── MissingProvenance            no signature headers
    │       ├── UnknownKey                   the signing key is not trusted
    │       │   └── KeyOfAnotherAgency       the key is trusted, for another agency
    │       └── BadSignature                 the proof or the signature does not verify
    ├── PoliciesError                        policies.exceptions: the policy layer refused
    │   ├── RegistryError                    registry.yaml is malformed (names file and line)
    │   ├── YamlSourceError                  a YAML file cannot be read (names file and line)
    │   ├── AgreementError                   agreement files are invalid (has .problems)
    │   │   └── GuardRailViolation           an agreement releases what a guard rail forbids
    │   ├── PlanError                        a plan could not be compiled or registered
    │   ├── UnknownPartner                   a partner id the registry does not list (KeyError)
    │   ├── PseudonymError                   the pseudonymisation secret is missing or too short
    │   └── CryptoError                      field encryption failed
    │       ├── EncryptionError              no usable public key for the partner
    │       ├── DecryptionError              wrong key, partner, event or field, or tampered bytes
    │       └── UnknownPartnerKey            a key id the partner's ring does not hold (KeyError)
    ├── InfraError                           infra.exceptions: the platform is not as needed
    │   ├── BrokerError                      infra.broker.errors: the local cluster is not managed
    │   │   ├── ToolMissing                  java or mvn absent or too old
    │   │   ├── FetchFailed                  Maven could not fetch the Kafka jars
    │   │   ├── PortInUse                    a port the cluster needs is taken
    │   │   ├── StartFailed                  a node did not come up (with its log's tail)
    │   │   └── ClusterMismatch              a different local cluster is already running
    │   ├── NoFreePorts                      no run of free consecutive ports in the range
    │   ├── ConnectionFailed                 no broker answers at the bootstrap servers
    │   ├── CredentialError                  the principal's credentials are missing or unusable
    │   ├── KeyStoreError                    the key store cannot give the key asked for
    │   │   ├── NoSuchKey                    no key of that id or name (KeyError)
    │   │   └── KeyRevoked                   the key was destroyed (KeyError)
    │   ├── TopicPlanFailed                  the broker refused topic changes of a plan
    │   └── PropertiesError                  a client properties file cannot be read (ValueError)
    ├── ProducersError                       producers.exceptions: the agency side refused
    │   ├── UnknownAgency                    the agency id is not in the registry (KeyError)
    │   ├── PublisherClosed                  publish() after close()
    │   ├── DeliveryFailed                   events the broker did not acknowledge
    │   ├── MappingError                     a CSV column-mapping file is invalid
    │   ├── ConversionFailed                 a CSV cell does not convert (ValueError)
    │   └── ScenarioError                    an unknown scenario or impossible generator arguments
    ├── ConsumersError                       consumers.exceptions: routing or reading stopped
    │   ├── ReadFailed                       the broker refused a read (topic, group or user)
    │   │   └── TopicNotReadable             no ACL lets this principal read the topic
    │   ├── NoGovernanceTopic                a projection for a partner without a governance topic
    │   ├── KitError                         a partner kit cannot be read (ValueError)
    │   ├── Undelivered                      messages the broker did not acknowledge
    │   ├── RouterStopped                    a router worker stops for its supervisor to restart
    │   │   ├── ConsumerStalled              nothing read while records wait on its partitions
    │   │   └── WindowNotRebuilt             the routed-events window cannot be read back
    │   └── AnalyticsStopped                 the analytics worker has exited
    └── DemoError                            pentameter.exceptions: the demo could not go on
        ├── AclsNotEnforced                  the broker did not enforce a principal's ACLs in time
        └── HostileUndelivered               hostile records not delivered to the ingress topic
"""

from __future__ import annotations

__all__ = ["NotFound", "PentameterError"]


class PentameterError(Exception):
    """Base class of every error a Pentameter package raises on purpose."""


class NotFound(PentameterError, KeyError):
    """What the leaves marked (KeyError) also derive from: a failed lookup that callers may catch
    as ``KeyError``, its message shown as written (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
