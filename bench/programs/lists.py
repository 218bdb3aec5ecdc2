def main(n):
    xs = []
    for i in range(1, n + 1):
        xs.append(i * 7 % 101)
    hits = 0
    for j in range(1, 201):
        if j in xs:
            hits = hits + 1
        idx = xs.index(j) if j in xs else -1
        if idx > 50:
            hits = hits + 1
    return hits + len(xs) + xs[n - 1]
