"""Who represents whom: postal codes, ridings, MPs and their offices, phones and hours.

The shipped data's import, the lookup from a postal code to members, and campaign leads'
corrections of contact data. Domain code: no Flask.
"""
