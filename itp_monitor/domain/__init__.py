"""Pure clinical logic: records, protocol, validation and rules. No Qt, no database."""
