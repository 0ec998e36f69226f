"""The shared kernel of the Basisdienste suite: everything a service needs that is not business logic."""
