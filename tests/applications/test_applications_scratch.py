import re

from applications_support import *


def test_x(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    client.submit(f"/applications/{reference}/money", {**budget_data(), "action": "calculate"})
    html = client.get(f"/applications/{reference}/money").get_data(as_text=True)
    print(re.findall(r'<input[^>]*income_[^>]*>', html))
    assert 0
