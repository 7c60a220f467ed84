-- wrk script: one single-row native predict per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances":[{"Sepal length":5.1,"Sepal width":3.5,"Petal length":1.4,"Petal width":0.2}]}'
