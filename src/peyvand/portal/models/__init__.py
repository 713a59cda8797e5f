"""The customer's side of Peyvand: portal sign-in and community. One module per area."""
