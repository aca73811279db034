"""Teams: a group's digest to one address, covering what its confirmed members follow."""
