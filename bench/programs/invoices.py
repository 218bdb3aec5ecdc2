def main(entity, create_new, find_state, persist, join):
    purpose = entity.mail_account.purpose.name
    if len(entity.attachments) < 1:
        return None
    if purpose == "INVOICES":
        sd = create_new("SubmittedDocument")
        sd.state = find_state("SubmittedDocument", "NEW")
        att_names = []
        for item in entity.attachments:
            att = create_new("SubmittedDocumentAttachment")
            att.attached_file = item.attached_file
            sd.attachments.append(att)
            att_names.append(item.attached_file.name)
        sd.attachment_names = join(att_names, ", ")
        sd.note = f"email přijatý od {entity.mail_from} (id {entity.id} )"
        persist(sd)
    return None
