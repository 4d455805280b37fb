"""Open311 GeoReport v2 under /open311/v2/, in JSON and XML, as the specification defines it.

Mapping: a service is an issue category (service_code = Category.code); a service request is
an issue (service_request_id = Issue.id); address_id is a village-tier division code;
jurisdiction_id a city code. Reads are public, as the standard expects of a city's 311 feed,
and carry only what is marked public: the issue's public description (never the cadre's own
description), fixed phrases for its steps plus the answer on resolution (never an office's
note), never the reporter's name or phone. A request is raised through
issues.services.raise_issue with the system as actor, and only with an integration's API key,
inside the integration's territory.

Departure from the rule that issue reads start from `visible_to(user)`: an Open311 reader has
no user; the public feed deliberately shows every issue, restricted to the fields above (and
to a jurisdiction when one is named).

Modules: `representations` (what the public reads), `serializers` (the query and the posted
form), `renderers` (the spec's XML), `views` (DRF views with the API's throttles).
"""
