def main(text):
    counts = {}
    for word in text.split(" "):
        w = word.lower()
        c = counts.get(w)
        counts[w] = 1 if c is None else c + 1
    return len(counts)
