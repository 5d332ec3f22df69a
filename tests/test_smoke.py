def test_register_login_and_chat(api):
    a, b = api.user(), api.user()
    api.befriend(a, b)
    wa, wb = a.ws(), b.ws()
    wa.send(Type=1, TargetId=b.id, Media=1, Content="hi", ClientMsgId="c-1")
    got_b = wb.messages(1)[0]
    got_a = wa.messages(1)[0]
    assert got_b["Content"] == "hi" and got_b["UserId"] == a.id and got_b["ClientMsgId"] == "c-1"
    assert got_a["Id"] == got_b["Id"]
